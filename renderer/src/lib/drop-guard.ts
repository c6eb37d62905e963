/**
 * A file dropped where no drop zone takes it would make the browser open it in place of the app.
 * Drop zones cancel their own events; this catches the rest at the document and refuses the drop.
 */
export function guardFileDrops(target: Document): () => void {
  const refuse = (event: DragEvent): void => {
    if (event.defaultPrevented) return; // a drop zone took it
    event.preventDefault();
    // Shows the "no drop" cursor instead of promising an import that will not happen.
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'none';
  };
  target.addEventListener('dragover', refuse);
  target.addEventListener('drop', refuse);
  return () => {
    target.removeEventListener('dragover', refuse);
    target.removeEventListener('drop', refuse);
  };
}
