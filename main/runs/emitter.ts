/**
 * A typed event in the VS Code style: the owner fires, everyone else subscribes with
 * `onSomething(listener)` and gets back the function that unsubscribes.
 * A listener that throws is reported and skipped, so one bad subscriber cannot stop the others
 * (or the message loop of the process that fired the event).
 */
export type Listener<T> = (value: T) => void;
export type Subscribe<T> = (listener: Listener<T>) => () => void;

export class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  readonly subscribe: Subscribe<T> = (listener) => {
    // Wrap so the same function may subscribe twice and unsubscribe each independently.
    const entry: Listener<T> = (value) => listener(value);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        console.error('An event listener failed:', error);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }

  clear(): void {
    this.listeners.clear();
  }
}
