// The one host API edgenn uses that ES2022 does not define; every target runtime has it.
declare const console: { warn(...data: unknown[]): void; log(...data: unknown[]): void };
