// A tiny XML well-formedness checker for the chart tests: one root element, every tag closed in
// order, attributes quoted and not repeated, `<` never and `&` only as an entity in text and
// attribute values. Enough for the SVG that chart.mjs writes (no DTD, CDATA or namespaces checks).

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (entities decoded), children's text excluded. */
  text: string;
}

const NAME = /[A-Za-z_:][-\w:.]*/y;
const ATTR = /\s+([A-Za-z_:][-\w:.]*)\s*=\s*"([^"]*)"/y;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function decode(raw: string, where: string): string {
  if (raw.includes("<")) throw new Error(`xml: '<' in ${where}`);
  if (raw.replace(ENTITY, "").includes("&")) throw new Error(`xml: bare '&' in ${where}`);
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return raw.replace(ENTITY, (e) => {
    const body = e.slice(1, -1);
    if (body.startsWith("#x")) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    if (body.startsWith("#")) return String.fromCodePoint(Number(body.slice(1)));
    return named[body] ?? "";
  });
}

/** Parses `xml` into its root element, or throws naming the first problem. */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const prolog = /^<\?xml[^?]*\?>/.exec(xml);
  if (prolog) i = prolog[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    const top = stack.at(-1);
    if (top) top.text += decode(text, `<${top.name}>`);
    else if (text.trim() !== "") throw new Error(`xml: text outside the root: ${text.trim()}`);
    if (lt < 0) break;
    i = lt + 1;
    if (xml.startsWith("!--", i)) {
      const end = xml.indexOf("-->", i);
      if (end < 0) throw new Error("xml: unclosed comment");
      i = end + 3;
      continue;
    }
    const closing = xml[i] === "/";
    if (closing) i++;
    NAME.lastIndex = i;
    const name = NAME.exec(xml)?.[0];
    if (!name) throw new Error(`xml: bad tag name at ${i}`);
    i += name.length;
    if (closing) {
      const open = stack.pop();
      if (open?.name !== name)
        throw new Error(`xml: </${name}> closes <${open?.name ?? "nothing"}>`);
      const gt = /^\s*>/.exec(xml.slice(i));
      if (!gt) throw new Error(`xml: bad closing tag </${name}`);
      i += gt[0].length;
      continue;
    }
    const el: XmlElement = { name, attrs: {}, children: [], text: "" };
    for (;;) {
      ATTR.lastIndex = i;
      const m = ATTR.exec(xml);
      if (!m) break;
      const [whole, key, value] = m as unknown as [string, string, string];
      if (key in el.attrs) throw new Error(`xml: attribute ${key} repeated on <${name}>`);
      el.attrs[key] = decode(value, `${name}@${key}`);
      i += whole.length;
    }
    const end = /^\s*(\/?)>/.exec(xml.slice(i));
    if (!end) throw new Error(`xml: bad attribute or unclosed tag <${name}> at ${i}`);
    i += end[0].length;
    if (top) top.children.push(el);
    else if (root) throw new Error(`xml: second root <${name}>`);
    else root = el;
    if (!end[1]) stack.push(el);
  }
  if (stack.length) throw new Error(`xml: <${stack.at(-1)?.name}> not closed`);
  if (!root) throw new Error("xml: no root element");
  return root;
}

/** Every element under `el` (itself included), depth first. */
export function allElements(el: XmlElement): XmlElement[] {
  return [el, ...el.children.flatMap(allElements)];
}
