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

/** Bytes in binary units, named as such: 51,200 B is 50.0 KiB (1 KiB = 1024 B). */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** The number a node shows for a summary: the scalar itself, or the tensor's L2 norm. */
export const headline = (summary) => (summary.size === 1 && summary.values !== null
  ? (Array.isArray(summary.values) ? summary.values.flat(Infinity)[0] : summary.values)
  : summary.norm);

/** A count with thousands separators: 101,000. */
export const count = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : num(n));

/** A number with `digits` significant digits, for comparing two that agree in most of them. */
export function precise(x, digits = 12) {
  if (typeof x !== "number") return num(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-4) return x.toExponential(digits - 1).replace("e+", "e");
  return x.toPrecision(digits);
}

/** A duration in seconds as people read it: 9.0 ms, 1.2 s, 9.3 min, 2.1 h. */
export function seconds(s) {
  if (typeof s !== "number") return num(s);
  const two = (x) => (x < 10 ? x.toPrecision(2) : String(Math.round(x)));
  if (s < 1e-3) return `${two(s * 1e6)} µs`;
  if (s < 1) return `${two(s * 1e3)} ms`;
  if (s < 100) return `${two(s)} s`;
  if (s < 6000) return `${two(s / 60)} min`;
  return `${two(s / 3600)} h`;
}

/** A count of floating-point operations: 26.0 M, 1.31 G. */
export function flops(n) {
  if (typeof n !== "number") return num(n);
  for (const [unit, scale] of [["G", 1e9], ["M", 1e6], ["k", 1e3]]) {
    if (n >= scale) return `${(n / scale).toPrecision(3)} ${unit}`;
  }
  return String(n);
}

/** A leaf element as the script writes it: w1[3, 7], or w1 for a scalar. */
export const element = (leaf, index) => (index?.length ? `${leaf}[${index.join(", ")}]` : leaf);
