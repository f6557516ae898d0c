/**
 * What a panel may read and do, and nothing more: the run and the position (the player), the
 * state drawn, the node labels, the presets, the status line, the picture of the graph, and a
 * few named actions. Panels (why reverse, gradient check, symbolic, memory, ask the room,
 * handout, clip, export, one element, the tour) are given this, never the App: what a panel
 * depends on is read here, and a new panel touches this file only if it needs something new.
 *
 * Every member is a getter or a function, so a panel always reads the present (the run after
 * a new one loads, the labels of the graph shown).
 *
 * The lecture tools (lecture.js: the camera, the minimap, search, the presenter view) steer the
 * graph itself: they are given a panel's context and a little more (lectureContext). Only
 * controls.js's key table and main.js, the wiring, hold the App.
 */

/**
 * @param {object} app the viewer (main.js); only this function reads it
 * @returns {Readonly<object>} the panel's context
 */
export function panelContext(app) {
  return Object.freeze({
    /** where we are: `run`, `t`, `k`, `lastStep`, `go(t, k)`, `pause()`, its "change" event */
    player: app.player,
    /** the state drawn (`{ t, k, state, step, … }`), null before the first */
    get current() { return app.current; },
    /** node id → the label the graph shows */
    get labels() { return app.labels; },
    /** the presets the server offers (`[]` until the form has loaded them) */
    get presets() { return app.setup.presets || []; },
    /** the run's preset title, or "Your own graph" */
    presetTitle(run) {
      const id = run?.preset;
      return (app.setup.presets || []).find((p) => p.id === id)?.title || id || "Your own graph";
    },
    /** the node the inspector shows (its id), null if none */
    get inspected() { return app.inspector.nodeId ?? null; },
    /** the element of `node` the inspector has chosen (an index list), null if none */
    chosenElement(node) {
      return app.inspector.nodeId === node?.id ? app.inspector.directionIn(node) : null;
    },
    /** the run's memory ledger (`GET …/memory`), null while it loads */
    get ledger() { return app.ledger; },
    get lecture() { return app.lecture; },
    /** the graph as drawn: its `svg`, its `container`, its `camera` (read, to picture it) */
    get picture() {
      const view = app.view;
      return { svg: view.svg, container: view.container, camera: view.camera };
    },
    /**
     * a line on the graph's status: a failure (until the next action), or with
     * `{ progress: true }` what the page is doing
     */
    status: (message, options) => app.status(message, options),
    /** create (or find) a run and show it, as the form does */
    createRun: (body) => app.createRun(body),
    /** open or close a large panel by name ("why", "gradcheck", "room", …) */
    openPanel: (name) => app.overlays.open(name),
    closePanel: () => app.overlays.close(),
    /** the presenter view shows the room's question too (if one is open) */
    sendRoomToPresenter: () => app.lectureTools?.presenter.sendRoom(),
    /** `gradwalk_{preset}_t{t}_k{k}`: what a saved picture of this step is called */
    fileName: () => app.fileName(),
    /** the groups drawn collapsed, as the link writes them */
    get collapsedLink() { return app.groups.linkValue; },
  });
}

/**
 * What the lecture tools read and do: a panel's context, and the graph view itself (they steer
 * its camera and listen to its "drawn" and "select"), the collapsed groups (search opens the one
 * a node is in), the large panels' registry (the inspector becomes one), lecture mode, and the
 * room panel as the presenter window sees and drives it.
 *
 * @param {object} app the viewer (main.js); only this function and panelContext read it
 * @returns {Readonly<object>} the lecture tools' context
 */
export function lectureContext(app) {
  const more = {
    /** the graph view (render.js): `svg`, `camera`, `fit()`, its "drawn" and "select" events */
    view: app.view,
    /** the collapsed groups (groups.js) */
    groups: app.groups,
    /** add a large panel by name, with its `open` and `close` hooks */
    addPanel: (name, hooks) => app.overlays.add(name, hooks),
    isPanelOpen: (name) => app.overlays.isOpen(name),
    togglePanel: (name) => app.overlays.toggle(name),
    /** lecture mode on or off (a new entry in the history) */
    setLecture: (on) => app.setLecture(on),
    /** what the room panel shows (classroom.js's snapshot), null before the panel is made */
    roomSnapshot: () => app.room?.room.snapshot() ?? null,
    /** a presenter's command to the room panel (`{ action, kind, index }`, roomview.js) */
    roomCommand: (message) => app.room?.command(message),
  };
  const base = panelContext(app);
  return Object.freeze(Object.defineProperties(Object.create(base), Object.getOwnPropertyDescriptors(more)));
}
