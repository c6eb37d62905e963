/**
 * What the app is called: the window's and dialogs' title, the browser page's title, and Electron's
 * userData folder (where the app's database lives) are all named after it.
 */
export const PRODUCT_NAME = 'Recurrent Workbench';
