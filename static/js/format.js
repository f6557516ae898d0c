/** How numbers, shapes and bytes are written on screen. Formatting only, never math. */

/** A number as the API sent it (non-finite ones arrive as "NaN", "Infinity", "-Infinity"). */
export function num(x) {
  if (x === null || x === undefined) return "–";
  if (typeof x === "string") return x === "Infinity" ? "∞" : x === "-Infinity" ? "−∞" : x;
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(2).replace("e+", "e");
  return String(Number(x.toPrecision(4)));
}

export const shape = (s) => (s.length ? s.join("×") : "scalar");

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

/** The number a node shows for a summary: the scalar itself, or the tensor's L2 norm. */
export const headline = (summary) => (summary.size === 1 && summary.values !== null
  ? (Array.isArray(summary.values) ? summary.values.flat(Infinity)[0] : summary.values)
  : summary.norm);
