// Reading and writing recordings as CSV. The layout (documented in README.md):
//   - optional comment lines starting with '#', and blank lines, anywhere;
//   - a header row naming the columns, in any order (case-insensitive): `vibration` (g) and
//     `temperature` (°C) are required; `time` (s) and `label` (0 = healthy, 1 = faulty) are optional;
//   - one row per sample at 1024 Hz, the same number of comma-separated fields as the header;
//     with a `time` column, each step must be 1/1024 s (±1 %).
import { FS } from "./signal.mjs";

const KNOWN = ["time", "vibration", "temperature", "label"];

/**
 * Parses a recording; every problem is an Error naming the line (1-based) and the column.
 * @param {string} text
 * @param {{ minSamples?: number }} [options] - fewer data rows than this is an error
 * @returns {{ vibration: Float32Array, temperature: Float32Array, time: Float64Array | null,
 *   label: Uint8Array | null }}
 */
export function parseCsv(text, { minSamples = 1 } = {}) {
  if (typeof text !== "string") throw new Error("csv: expected text");
  const lines = text.split(/\r?\n/);
  let header = null;
  let headerLine = 0;
  const columns = {};
  const rows = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(",").map((f) => f.trim());
    if (header === null) {
      header = fields.map((f) => f.toLowerCase());
      headerLine = i + 1;
      header.forEach((name, c) => {
        if (!KNOWN.includes(name)) {
          throw new Error(
            `csv: line ${i + 1}: unknown column "${fields[c]}" (expected a header of ${KNOWN.join(", ")}; vibration and temperature required)`,
          );
        }
        if (name in columns) throw new Error(`csv: line ${i + 1}: column "${name}" appears twice`);
        columns[name] = c;
      });
      for (const need of ["vibration", "temperature"]) {
        if (!(need in columns)) {
          throw new Error(
            `csv: line ${i + 1}: missing column "${need}" (header: ${fields.join(",")})`,
          );
        }
      }
      continue;
    }
    if (fields.length !== header.length) {
      throw new Error(
        `csv: line ${i + 1}: expected ${header.length} fields (${header.join(",")}), got ${fields.length}`,
      );
    }
    const values = fields.map((f, c) => {
      const v = f === "" ? Number.NaN : Number(f);
      if (!Number.isFinite(v)) {
        throw new Error(`csv: line ${i + 1}, column "${header[c]}": not a finite number ("${f}")`);
      }
      return v;
    });
    if ("label" in columns && values[columns.label] !== 0 && values[columns.label] !== 1) {
      throw new Error(
        `csv: line ${i + 1}, column "label": must be 0 or 1 (got ${fields[columns.label]})`,
      );
    }
    rows.push({ line: i + 1, values });
  }
  if (header === null) throw new Error("csv: no header row (the file is empty or only comments)");
  if (rows.length < minSamples) {
    throw new Error(
      `csv: ${rows.length} samples after the header on line ${headerLine}, need at least ${minSamples} (${(minSamples / FS).toFixed(2)} s at ${FS} Hz)`,
    );
  }
  const n = rows.length;
  const vibration = new Float32Array(n);
  const temperature = new Float32Array(n);
  const time = "time" in columns ? new Float64Array(n) : null;
  const label = "label" in columns ? new Uint8Array(n) : null;
  for (let r = 0; r < n; r++) {
    const v = rows[r].values;
    vibration[r] = v[columns.vibration];
    temperature[r] = v[columns.temperature];
    if (time) {
      time[r] = v[columns.time];
      const step = r > 0 ? time[r] - time[r - 1] : 1 / FS;
      if (Math.abs(step * FS - 1) > 0.01) {
        throw new Error(
          `csv: line ${rows[r].line}, column "time": samples must be 1/${FS} s apart (got a step of ${step} s from ${time[r - 1]})`,
        );
      }
    }
    if (label) label[r] = v[columns.label];
  }
  return { vibration, temperature, time, label };
}

/**
 * A recording as CSV text with the header `time,vibration,temperature,label`.
 * @param {{ vibration: Float32Array, temperature: Float32Array, severity?: Float32Array,
 *   fs?: number }} recording - `severity` gives the label (≥ `labelSeverity` → 1)
 * @param {number} [labelSeverity]
 * @returns {string}
 */
export function toCsv({ vibration, temperature, severity, fs = FS }, labelSeverity = 0.1) {
  const out = [severity ? "time,vibration,temperature,label" : "time,vibration,temperature"];
  for (let i = 0; i < vibration.length; i++) {
    const row = `${(i / fs).toFixed(6)},${vibration[i].toFixed(5)},${temperature[i].toFixed(3)}`;
    out.push(severity ? `${row},${severity[i] >= labelSeverity ? 1 : 0}` : row);
  }
  return `${out.join("\n")}\n`;
}
