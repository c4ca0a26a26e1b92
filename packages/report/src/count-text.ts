/** "1 valid line", "3 valid lines": a count with its noun in plain English. */
export function countOf(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}
