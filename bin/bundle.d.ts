// Types for bin/bundle.js, which stays plain JavaScript so `npm start` runs it before anything is built;
// `rnnwb serve` (TypeScript) imports it too.

/** The repository root. */
export const root: string;
/** Where the built renderer goes unless told otherwise (what the app and `serve` load). */
export const defaultRendererDir: string;
/** True when the build in `outDir` is missing or older than its sources. */
export function rendererIsStale(outDir?: string): boolean;
/** Builds the renderer into `outDir` (emptied first) when needed; false when the build failed. */
export function buildRendererIfStale(outDir?: string): boolean;
/** Bundles main, preload and the engine worker for Electron. Throws with a readable message on failure. */
export function bundleElectron(): Promise<void>;
