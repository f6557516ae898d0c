/**
 * What the marks on the graph mean, in words, said once for the help's legend and the nodes'
 * tooltips: the norm ‖·‖ a tensor's row shows, the ∂ of a gradient row, and the "= k/n" or
 * "+= k/n" over a node as its gradient's contributions arrive. Words only.
 */

export const MARKS = [
  ["‖·‖", "the tensor's L2 norm (the square root of the sum of its squared elements), shown for a tensor; a scalar shows its value"],
  ["∂", "a gradient: ∂loss/∂node, the gradient of the loss with respect to the node"],
  ["= k/n, += k/n", "contribution k of the n this node's gradient receives has arrived (+= : summed into the ones before)"],
];

/** The marks as one line of plain text (a node's tooltip). */
export const marksText = () => MARKS.map(([mark, words]) => `${mark}: ${words}`).join("\n");

/** The marks as a definition list, for the help. */
export function marksList() {
  const list = document.createElement("dl");
  list.className = "marks";
  for (const [mark, words] of MARKS) {
    const dt = document.createElement("dt");
    dt.textContent = mark;
    const dd = document.createElement("dd");
    dd.textContent = words;
    list.append(dt, dd);
  }
  return list;
}
