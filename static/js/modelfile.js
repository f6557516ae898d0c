/**
 * "Open a model file": an ONNX file read in the browser and posted as bytes to POST
 * /api/v1/imports; the source the server writes for it goes into the source box and runs.
 * The server does all the reading (the file is data, never code); an unsupported model's
 * error lists every node Gradwalk cannot write, as text beside the source.
 */

import * as api from "./api.js";

const $ = (id) => document.getElementById(id);
/** The server's own bound is max_import_bytes (8 MiB by default); said before uploading. */
const MAX_BYTES = 8 * 1024 * 1024;

export function addModelFile(setup) {
  const input = $("model-file");
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    if (!file) return;
    setup.clearErrors();
    const status = $("source-error");
    if (file.size > MAX_BYTES) {
      status.textContent = `${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MiB; a model `
        + "file may be at most 8 MiB.";
      input.value = "";
      return;
    }
    status.textContent = `reading ${file.name}…`;
    try {
      const made = await api.postImport(await file.arrayBuffer(), $("model-loss").value);
      status.textContent = "";
      $("source").value = made.source;
      setup.submitSource();
    } catch (error) {
      const problems = error.error?.problems;
      status.textContent = problems?.length
        ? `${file.name}: ${problems.length} part(s) Gradwalk cannot write yet — `
          + problems.join("; ")
        : `${file.name}: ${error.message}`;
    } finally {
      input.value = "";  // the same file can be chosen again
    }
  });
}
