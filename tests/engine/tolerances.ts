/** Tolerances from the parity fixtures' README (|a − b| ≤ atol + rtol·|ref|), shared by the tests that compare with PyTorch. */
export const FORWARD = { atol: 1e-5, rtol: 1e-4 };
export const ADAM_STRICT = { atol: 1e-6, rtol: 1e-5 };
export const ADAM_E2E = { atol: 5e-4, rtol: 1e-3 };
