// Streaming XML reading for CAMT: saxes walks the whole document, but only the
// subtree of one "unit" at a time (an account block, a balance, one Ntry) is
// held in memory as small XmlNode objects and handed to a callback when it
// closes. A statement with 100k entries never exists as one DOM.
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { ImportError } from '../errors.ts';

export interface XmlNode {
  /** Local name, namespace prefix dropped. */
  name: string;
  /** Attributes by local name (only the few CAMT uses, e.g. Ccy). */
  attrs: Record<string, string>;
  text: string;
  children: XmlNode[];
  /** 1-based line and column where the start tag begins. */
  line: number;
  column: number;
}

/** First descendant along a path of local names (child, grandchild, ...). */
export function at(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  let cur = node;
  for (const name of path) {
    if (cur === undefined) return undefined;
    cur = cur.children.find((c) => c.name === name);
  }
  return cur;
}

/** All direct children with this local name. */
export function all(node: XmlNode | undefined, name: string): XmlNode[] {
  return node === undefined ? [] : node.children.filter((c) => c.name === name);
}

/** Trimmed text at a path with inner whitespace runs (line breaks in long Ustrd) collapsed; undefined when absent or empty. */
export function textAt(node: XmlNode | undefined, ...path: string[]): string | undefined {
  const n = at(node, ...path);
  if (n === undefined) return undefined;
  const t = collapse(n.text);
  return t === '' ? undefined : t;
}

export function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export interface RootInfo {
  name: string;
  uri: string;
}

export interface StreamHandlers {
  /** Called for the document element; may throw to reject the document. */
  onRoot(root: RootInfo, line: number): void;
  /**
   * Called for every start tag outside a captured subtree, with the stack of
   * open local names (the tag itself last). Returns true to capture this
   * element as a subtree delivered to onUnit when it closes.
   */
  wantUnit(stack: readonly string[]): boolean;
  onUnit(node: XmlNode, stack: readonly string[]): void;
  /** Start and end of elements outside captured subtrees (e.g. Stmt boundaries). */
  onOpen?(stack: readonly string[], line: number): void;
  onClose?(stack: readonly string[]): void;
}

// Cap on nesting: real CAMT is under 20 deep; this stops a pathological file
// from growing the stacks without bound.
const MAX_DEPTH = 200;

function saxesMessage(err: Error): string {
  // saxes formats "fileName:line:column: message"; the position travels separately.
  return err.message.replace(/^[^:]*:\d+:\d+: /, '');
}

/**
 * Streams `text` through saxes. DOCTYPEs that declare entities or reference
 * external resources are UNSAFE_XML (defence in depth: saxes never expands
 * them, but a file carrying them is hostile or broken); syntax errors are
 * MALFORMED_FILE with line and column.
 */
export function streamXml(text: string, h: StreamHandlers): void {
  // Namespace processing is left off (it roughly doubles saxes' cost); prefixes are
  // dropped by hand and only the document element's namespace is looked at.
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: string[] = [];
  // Open nodes of the captured subtree; empty when not capturing.
  const open: XmlNode[] = [];
  let captureDepth = -1;
  let tagLine = 1;
  let tagColumn = 1;
  let sawRoot = false;

  parser.on('error', (err) => {
    throw new ImportError('MALFORMED_FILE', `XML syntax error at line ${parser.line}, column ${parser.column + 1}: ${saxesMessage(err)}`, {
      line: parser.line,
      expected: 'well-formed XML',
      details: { column: parser.column + 1 },
    });
  });
  parser.on('doctype', (doctype) => {
    if (/<!ENTITY|\bSYSTEM\b|\bPUBLIC\b/i.test(doctype)) {
      throw new ImportError('UNSAFE_XML', `the XML DOCTYPE at line ${parser.line} declares entities or external resources; such files are refused`, {
        line: parser.line,
        expected: 'an XML statement without a DOCTYPE',
      });
    }
  });
  parser.on('opentagstart', () => {
    // saxes has consumed "<Name" here; the tag began on this line.
    tagLine = parser.line;
    tagColumn = parser.column;
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const colon = tag.name.indexOf(':');
    const local = colon < 0 ? tag.name : tag.name.slice(colon + 1);
    stack.push(local);
    if (stack.length > MAX_DEPTH) {
      throw new ImportError('MALFORMED_FILE', `XML nesting deeper than ${MAX_DEPTH} levels at line ${parser.line}`, {
        line: parser.line,
        expected: 'a CAMT document',
      });
    }
    if (!sawRoot) {
      sawRoot = true;
      const uri = tag.attributes[colon < 0 ? 'xmlns' : `xmlns:${tag.name.slice(0, colon)}`];
      h.onRoot({ name: local, uri: typeof uri === 'string' ? uri : '' }, tagLine);
    }
    if (captureDepth >= 0) {
      const node: XmlNode = { name: local, attrs: attrsOf(tag), text: '', children: [], line: tagLine, column: tagColumn };
      (open[open.length - 1] as XmlNode).children.push(node);
      open.push(node);
      return;
    }
    h.onOpen?.(stack, tagLine);
    if (h.wantUnit(stack)) {
      captureDepth = stack.length;
      open.push({ name: local, attrs: attrsOf(tag), text: '', children: [], line: tagLine, column: tagColumn });
    }
  });
  parser.on('text', (t) => {
    if (open.length > 0) (open[open.length - 1] as XmlNode).text += t;
  });
  parser.on('cdata', (t) => {
    if (open.length > 0) (open[open.length - 1] as XmlNode).text += t;
  });
  parser.on('closetag', () => {
    if (captureDepth >= 0) {
      const node = open.pop() as XmlNode;
      if (stack.length === captureDepth) {
        captureDepth = -1;
        h.onUnit(node, stack);
      }
    } else {
      h.onClose?.(stack);
    }
    stack.pop();
  });

  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Chunked writes keep saxes' internal buffers small on large files.
  const CHUNK = 1 << 16;
  for (let i = 0; i < body.length; i += CHUNK) parser.write(body.slice(i, i + CHUNK));
  parser.close();
  if (!sawRoot) {
    throw new ImportError('MALFORMED_FILE', 'the file contains no XML element', { line: 1, expected: 'an XML document' });
  }
}

const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function attrsOf(tag: SaxesTagPlain): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const name in tag.attributes) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    const colon = name.indexOf(':');
    out ??= {};
    out[colon < 0 ? name : name.slice(colon + 1)] = tag.attributes[name] as string;
  }
  return out ?? NO_ATTRS;
}
