/**
 * What the page calls the phases and quantities a run declares (docs/json.md, Run: `phases`,
 * `quantities`). Words and CSS class names only: any name the server sends is drawn, the known
 * ones with their own words and colours, an unknown one with its name and a neutral colour.
 */

/** The quantities of a run that declares none (a server older than `quantities`). */
export const DEFAULT_QUANTITIES = ["value", "grad"];

/**
 * Known quantities: the inspector tab's title, the mark before a node's number, what the
 * colour is called, the noun, and what to say when a node has none at a step.
 */
const QUANTITIES = {
  value: { title: "Value", mark: "", colour: "blue", noun: "value",
    missing: "not computed yet at this step" },
  grad: { title: "∂loss/∂node", mark: "∂ ", colour: "orange", noun: "gradient",
    missing: "no contribution has arrived yet" },
  tangent: { title: "Tangent", mark: "δ ", colour: "yellow", noun: "tangent",
    missing: "not computed yet at this step" },
};

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
