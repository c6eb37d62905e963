/** Inference on a trained model: next-character prediction, generation and gate traces. */
export { predictNext, type Prediction } from './predict.ts';
export { generate, type GenerateOptions } from './generate.ts';
export { trace, GATE_NAMES, type Trace } from './trace.ts';
export { EVERY_MAX_CHARS } from './context.ts';
