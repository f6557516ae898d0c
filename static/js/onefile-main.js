/**
 * The one-file page's module graph: its data source first (onefile.js), then the viewer
 * (main.js) as the server serves it, then the embedding bridge (embed.js). app/web/onefile.py
 * inlines this graph as the page's one script.
 */

import "./onefile.js";
import "./main.js";
import { bindEmbedding } from "./embed.js";

bindEmbedding();
