/**
 * `use:modal` on a <dialog>: shown modal while it is in the page, so focus is trapped and Escape
 * cancels without hand-written plumbing. The focus goes back by hand to what had it before (the button
 * that asked): the dialog's own restore is lost when it leaves the page, and a keyboard user would
 * start again from the top.
 */
export function modal(dialog: HTMLDialogElement): { destroy(): void } {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  dialog.showModal();
  return {
    destroy() {
      dialog.close();
      if (opener?.isConnected) opener.focus();
    },
  };
}
