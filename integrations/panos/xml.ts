/**
 * A minimal, strict XML reader for PAN-OS XML API responses. No XML library is among the
 * project's dependencies, and these responses are small and plain: elements, attributes, text,
 * CDATA, comments and an optional declaration. Anything else — a DOCTYPE (so no entity
 * expansion), processing instructions, unknown entities, mismatched or unclosed tags, text
 * outside the root — is refused rather than guessed at. The tree is then validated with zod by
 * the client.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), trimmed; children's text is not included. */
  text: string;
}

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

const MAX_DEPTH = 64;
const MAX_LENGTH = 4 * 1024 * 1024;
const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*/;
const NAMED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string): string {
  return raw.replace(/&([^;&\s]{0,10});/g, (_, entity: string) => {
    const named = NAMED_ENTITIES[entity];
    if (named !== undefined) return named;
    const code = /^#x([0-9a-fA-F]{1,6})$/.exec(entity)?.[1] ?? /^#([0-9]{1,7})$/.exec(entity)?.[1];
    if (code !== undefined) {
      const point = entity.startsWith('#x') ? parseInt(code, 16) : parseInt(code, 10);
      if (point > 0 && point <= 0x10ffff) return String.fromCodePoint(point);
    }
    throw new XmlError(`unknown entity &${entity};`);
  });
}

/** Parses one XML document into its root element; throws XmlError when it is not well-formed. */
export function parseXml(input: string): XmlElement {
  if (input.length > MAX_LENGTH) throw new XmlError('document too large');
  let pos = 0;
  const stack: XmlElement[] = [];
  const texts: string[][] = [];
  let root: XmlElement | undefined;

  const fail = (message: string): never => {
    throw new XmlError(`${message} at offset ${pos}`);
  };
  const skipUntil = (terminator: string, what: string): string => {
    const end = input.indexOf(terminator, pos);
    if (end < 0) fail(`unterminated ${what}`);
    const content = input.slice(pos, end);
    pos = end + terminator.length;
    return content;
  };

  if (input.charCodeAt(0) === 0xfeff) pos = 1;
  while (pos < input.length) {
    const lt = input.indexOf('<', pos);
    const text = input.slice(pos, lt < 0 ? input.length : lt);
    if (text !== '') {
      const current = texts[texts.length - 1];
      if (current === undefined) {
        if (text.trim() !== '') fail('text outside the root element');
      } else current.push(decodeEntities(text));
    }
    if (lt < 0) break;
    pos = lt;
    if (input.startsWith('<?xml', pos)) {
      if (stack.length > 0 || root !== undefined) fail('misplaced XML declaration');
      pos += 5;
      skipUntil('?>', 'XML declaration');
    } else if (input.startsWith('<!--', pos)) {
      pos += 4;
      skipUntil('-->', 'comment');
    } else if (input.startsWith('<![CDATA[', pos)) {
      const current = texts[texts.length - 1];
      if (current === undefined) fail('CDATA outside the root element');
      pos += 9;
      current?.push(skipUntil(']]>', 'CDATA section'));
    } else if (input.startsWith('<!', pos) || input.startsWith('<?', pos)) {
      fail('DOCTYPE and processing instructions are not accepted');
    } else if (input.startsWith('</', pos)) {
      pos += 2;
      const name = NAME.exec(input.slice(pos))?.[0] ?? fail('invalid closing tag');
      pos += name.length;
      while (/\s/.test(input[pos] ?? '')) pos++;
      if (input[pos] !== '>') fail(`malformed closing tag </${name}>`);
      pos++;
      const element = stack.pop();
      const own = texts.pop();
      if (element === undefined || element.name !== name) fail(`unexpected closing tag </${name}>`);
      (element as XmlElement).text = (own ?? []).join('').trim();
      if (stack.length === 0) root = element;
    } else {
      pos++;
      if (root !== undefined) fail('content after the root element');
      const name = NAME.exec(input.slice(pos))?.[0] ?? fail('invalid tag name');
      pos += name.length;
      const element: XmlElement = { name, attributes: {}, children: [], text: '' };
      let selfClosing = false;
      for (;;) {
        const spaces = /^\s*/.exec(input.slice(pos))?.[0].length ?? 0;
        pos += spaces;
        if (input.startsWith('/>', pos)) {
          pos += 2;
          selfClosing = true;
          break;
        }
        if (input[pos] === '>') {
          pos++;
          break;
        }
        if (spaces === 0) fail(`malformed tag <${name}>`);
        const attribute = NAME.exec(input.slice(pos))?.[0] ?? fail(`malformed attribute in <${name}>`);
        pos += attribute.length;
        const eq = /^\s*=\s*/.exec(input.slice(pos))?.[0] ?? fail(`attribute ${attribute} has no value`);
        pos += eq.length;
        const quote = input[pos];
        if (quote !== '"' && quote !== "'") fail(`attribute ${attribute} is not quoted`);
        pos++;
        const raw = skipUntil(quote as string, `attribute ${attribute}`);
        if (raw.includes('<')) fail(`"<" in attribute ${attribute}`);
        if (Object.hasOwn(element.attributes, attribute)) fail(`duplicate attribute ${attribute}`);
        element.attributes[attribute] = decodeEntities(raw);
      }
      const parent = stack[stack.length - 1];
      parent?.children.push(element);
      if (selfClosing) {
        if (parent === undefined) root = element;
      } else {
        if (stack.length >= MAX_DEPTH) fail('nested too deeply');
        stack.push(element);
        texts.push([]);
      }
    }
  }
  if (stack.length > 0) throw new XmlError(`unclosed element <${stack[stack.length - 1]?.name ?? '?'}>`);
  if (root === undefined) throw new XmlError('no root element');
  return root;
}

/** The children of `element` named `name`. */
export function childrenNamed(element: XmlElement | undefined, name: string): XmlElement[] {
  return element === undefined ? [] : element.children.filter((c) => c.name === name);
}

/** The first child of `element` at `path` (each step a child name), if any. */
export function childAt(element: XmlElement | undefined, ...path: string[]): XmlElement | undefined {
  let current = element;
  for (const step of path) current = childrenNamed(current, step)[0];
  return current;
}

/** Escapes text for an XML element or a double-quoted attribute. */
export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
