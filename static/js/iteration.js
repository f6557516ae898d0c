/**
 * One iteration as the server sends it (docs/json.md, Iteration): its steps, every tensor
 * summary once under an id, and per step the fields of the nodes it changed. The state after
 * step k is changes[0..k] merged field by field, ids resolved through `tensors` — bookkeeping,
 * no math: it equals the server's `GET …/steps/{k}` exactly.
 *
 * Merged states share what did not change: a node's object is replaced, never edited, when a
 * step changes it, so equal objects mean an unchanged node. Snapshots every SNAPSHOT_EVERY
 * steps keep any k at most that many small merges away, and the last state built makes k ± 1
 * one merge, so scrubbing a few hundred steps over a few hundred nodes stays smooth.
 */

const SNAPSHOT_EVERY = 16;

export class Iteration {
  /**
   * `doc`: the iteration document; `run`: its run (`graph.loss` names the loss node);
   * `quantities`: the run's quantities, the node fields that hold tensor ids.
   */
  constructor(doc, run, quantities) {
    this.t = doc.iteration;
    this.steps = doc.steps;
    this.tensors = doc.tensors;
    this.changes = doc.changes;
    /** per layer, ‖∂loss/∂W‖ and the step it is known from (reverse mode; [] otherwise) */
    this.layers = doc.layers ?? [];
    this.quantities = new Set(quantities);
    this.lossNode = run.graph.loss;
    /** snapshots[i]: the nodes after step i · SNAPSHOT_EVERY */
    this.snapshots = [];
    /** the last state's nodes built, { k, nodes } */
    this.last = null;
    if (this.changes.length !== this.steps.length) {
      throw new Error(`iteration ${this.t}: ${this.changes.length} changes for ${this.steps.length} steps`);
    }
  }

  get length() { return this.steps.length; }

  /** The full state after step k, shaped as docs/json.md's State. */
  state(k) {
    const step = this.steps[k];
    const nodes = this.nodesAt(k);
    const loss = nodes[this.lossNode]?.value;
    return {
      iteration: this.t, step: k, phase: step.phase, node: step.node, edges: step.edges,
      loss: loss ? [loss.values].flat(Infinity)[0] : null,
      memory_bytes: step.memory_bytes, nodes,
    };
  }

  /** Every node's fields after step k (shared objects: read, never edit). */
  nodesAt(k) {
    if (this.last?.k === k) return this.last.nodes;
    const i = Math.floor(k / SNAPSHOT_EVERY);
    let from = i * SNAPSHOT_EVERY;
    let nodes = this.snapshot(i);
    // stepping forward inside a stretch: merge on top of the last state, not the snapshot
    if (this.last && this.last.k > from && this.last.k < k) ({ k: from, nodes } = this.last);
    nodes = this.advance(nodes, from, k);
    this.last = { k, nodes };
    return nodes;
  }

  /** The nodes after step i · SNAPSHOT_EVERY (built once, in order). */
  snapshot(i) {
    while (this.snapshots.length <= i) {
      const n = this.snapshots.length;
      this.snapshots.push(n === 0
        ? this.advance({}, -1, 0)
        : this.advance(this.snapshots[n - 1], (n - 1) * SNAPSHOT_EVERY, n * SNAPSHOT_EVERY));
    }
    return this.snapshots[i];
  }

  /** The nodes after step `to` from the nodes after step `from` (a new object; the old kept). */
  advance(nodes, from, to) {
    if (from === to) return nodes;
    const out = { ...nodes };
    for (let j = from + 1; j <= to; j += 1) {
      for (const [id, fields] of Object.entries(this.changes[j])) {
        out[id] = { ...out[id], ...this.resolve(fields) };
      }
    }
    return out;
  }

  /** Every [quantity, summary] pair some state of the iteration shows, each once. */
  *summaries() {
    const seen = new Set();
    for (const change of this.changes) {
      for (const fields of Object.values(change)) {
        for (const [name, id] of Object.entries(fields)) {
          const key = `${name} ${id}`;
          if (id === null || !this.quantities.has(name) || seen.has(key)) continue;
          seen.add(key);
          yield [name, this.tensors[id]];
        }
      }
    }
  }

  /** A change's fields with tensor ids replaced by their summaries (null stays null). */
  resolve(fields) {
    const out = {};
    for (const [name, v] of Object.entries(fields)) {
      if (this.quantities.has(name) && v !== null) {
        const summary = this.tensors[v];
        if (!summary) throw new Error(`iteration ${this.t}: unknown tensor ${v}`);
        out[name] = summary;
      } else {
        out[name] = v;
      }
    }
    return out;
  }
}
