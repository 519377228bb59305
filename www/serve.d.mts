import type { Server } from "node:http";

/** Starts serving `dir` on 127.0.0.1:`port` (0 picks a free port). */
export function serve(dir: string, port?: number): Promise<{ server: Server; url: string }>;
