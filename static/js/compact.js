/**
 * The iteration document as sent (docs/json.md, Iteration: its compact form) back to plain
 * steps and summaries — app/api/compact.py's decode_iteration, line for line. Nothing is
 * computed: templates' strings and slots are joined, `held` lists cut and joined, summary rows
 * named.
 */

const STEP_TEXTS = ["narration", "latex", "mathml", "code", "rule"];
const CONTRIBUTION_TEXTS = ["latex", "code", "gradient"];
const SUMMARY_FIELDS = ["shape", "dtype", "size", "min", "max", "mean", "std", "norm", "nan",
  "inf", "values", "heatmap", "histogram"];
const HEATMAP_FIELDS = ["rows", "cols", "cells"];
const HISTOGRAM_FIELDS = ["edges", "counts"];

/** `[template, slot 0, …]` -> the text: the template's strings, a number n as slot n. */
function text(texts, ref) {
  let out = "";
  for (const item of texts[ref[0]]) out += typeof item === "string" ? item : ref[1 + item];
  return out;
}

function withTexts(texts, object, fields) {
  const out = { ...object };
  for (const f of fields) out[f] = text(texts, object[f]);
  return out;
}

function record(fields, values) {
  if (values === null) return null;
  return Object.fromEntries(fields.map((f, i) => [f, values[i]]));
}

function summary(row) {
  const s = record(SUMMARY_FIELDS, row);
  s.heatmap = record(HEATMAP_FIELDS, s.heatmap);
  s.histogram = record(HISTOGRAM_FIELDS, s.histogram);
  return s;
}

/** The document as sent -> plain steps (as …/steps serves them), tensors by id, no `texts`. */
export function decodeIteration(doc) {
  const { texts, ...out } = doc;
  let held = [];
  out.steps = doc.steps.map((step) => {
    const plain = withTexts(texts, step, STEP_TEXTS);
    plain.contributions = step.contributions.map((c) => withTexts(texts, c, CONTRIBUTION_TEXTS));
    held = plain.held = [...held.slice(0, step.held.keep), ...step.held.add];
    return plain;
  });
  out.tensors = Object.fromEntries(doc.tensors.map((row, i) => [`t${i}`, summary(row)]));
  return out;
}
