/**
 * What the page calls the phases and quantities a run declares (docs/json.md, Run: `phases`,
 * `quantities`). Words and CSS class names only: any name the server sends is drawn, the known
 * ones with their own words and colours, an unknown one with its name and a neutral colour.
 */

/** The quantities of a run that declares none (a server older than `quantities`). */
export const DEFAULT_QUANTITIES = ["value", "grad"];

/**
 * Known quantities: the inspector tab's title, the mark before a node's number, what the
 * colour is called, the noun, what to say when a node has none at a step, and the phase in
 * which it travels along the edges (values and tangents forward, gradients backward).
 */
const QUANTITIES = {
  value: { title: "Value", mark: "", colour: "blue", noun: "value",
    missing: "not computed yet at this step", travels: "forward" },
  grad: { title: "∂loss/∂node", mark: "∂ ", colour: "orange", noun: "gradient",
    missing: "no contribution has arrived yet", travels: "backward" },
  tangent: { title: "Tangent", mark: "δ ", colour: "dark yellow", noun: "tangent",
    missing: "not computed yet at this step", travels: "forward" },
};

/**
 * The quantities of a run that travel along the edges in a step of `phase`, in the run's order
 * (forward steps of a forward-mode run: value and tangent; backward steps: grad). The last one
 * colours the step's edges: a forward-mode edge carries its tangent in the tangent's colour.
 */
export const travelling = (phase, quantities) =>
  quantities.filter((q) => QUANTITIES[q]?.travels === phase);

const PHASES = { load: "Load", forward: "Forward", seed: "Seed", backward: "Backward", update: "Update" };

/** A name as a CSS class suffix: lower case, anything but letters, digits, `_` and `-` as `-`. */
export const cssName = (name) => String(name).toLowerCase().replace(/[^a-z0-9_-]/g, "-");

/** The class that gives an element a quantity's colour (`--q` in app.css). */
export const quantityClass = (name) => `q-${cssName(name)}`;

/** The class that gives an element a phase's colour (`--phase` in app.css). */
export const phaseClass = (name) => `phase-${cssName(name)}`;

/** Words for a quantity; an unknown one is called by its name. */
export function quantity(name) {
  return QUANTITIES[name] || { title: name, mark: `${name} `, colour: "grey", noun: name,
    missing: `no ${name} at this step` };
}

/** A phase's button text: the known title, else the name with a capital. */
export const phaseTitle = (name) => PHASES[name] || name.charAt(0).toUpperCase() + name.slice(1);
