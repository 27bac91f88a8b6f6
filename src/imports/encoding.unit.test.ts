import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeBytes, normalizeCharset, sniffDeclaredCharset } from './encoding.ts';
import { ImportError } from './errors.ts';

const enc = (text: string, charset: string): Uint8Array => new Uint8Array(iconv.encode(text, charset));
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

const SAMPLE = 'DATE;PAYEE;AMOUNT\n2024-01-05;Café Größe;-12,50\n';
const POLISH = 'Data;Kontrahent;Kwota\n2024-01-05;Zakład Usług Łódź — żółć, gęślą jaźń;-12,50\n2024-01-06;Świętokrzyska Spółka;100,00\n';

describe('decodeBytes: byte-order marks and UTF-16', () => {
  it('UTF-8 with BOM drops the BOM', () => {
    const d = decodeBytes(cat(Uint8Array.from([0xef, 0xbb, 0xbf]), enc(SAMPLE, 'utf8')));
    expect(d.used).toBe('utf-8');
    expect(d.text).toBe(SAMPLE);
  });

  it('UTF-16 LE with BOM', () => {
    const d = decodeBytes(cat(Uint8Array.from([0xff, 0xfe]), enc(SAMPLE, 'utf16le')));
    expect(d).toMatchObject({ used: 'utf-16le', text: SAMPLE });
  });

  it('UTF-16 BE with BOM', () => {
    const d = decodeBytes(cat(Uint8Array.from([0xfe, 0xff]), enc(SAMPLE, 'utf16be')));
    expect(d).toMatchObject({ used: 'utf-16be', text: SAMPLE });
  });

  it('UTF-16 LE without BOM is recognised from its NUL bytes', () => {
    const d = decodeBytes(enc(SAMPLE, 'utf16le'));
    expect(d.used).toBe('utf-16le');
    expect(d.text).toBe(SAMPLE);
    expect(d.note).toMatch(/NUL/);
  });

  it('UTF-16 BE without BOM is recognised from its NUL bytes', () => {
    const d = decodeBytes(enc(SAMPLE, 'utf16be'));
    expect(d).toMatchObject({ used: 'utf-16be', text: SAMPLE });
  });

  it('the BOM wins over a declaration', () => {
    const d = decodeBytes(cat(Uint8Array.from([0xef, 0xbb, 0xbf]), enc(SAMPLE, 'utf8')), '1252');
    expect(d.used).toBe('utf-8');
    expect(d.declared).toBe('1252');
    expect(d.note).toMatch(/byte-order mark/);
  });
});

describe('decodeBytes: declared charsets', () => {
  it('honours windows-1252 when the bytes are not UTF-8', () => {
    const d = decodeBytes(enc('Virement Interac à: Jean', 'win1252'), '1252');
    expect(d).toMatchObject({ used: 'windows-1252', declared: '1252', text: 'Virement Interac à: Jean' });
    expect(d.note).toBeUndefined();
  });

  it('decodes valid multi-byte UTF-8 declared as 1252 as UTF-8, with a note', () => {
    const d = decodeBytes(enc('TÍTULO COBRANÇA-IB', 'utf8'), '1252');
    expect(d.used).toBe('utf-8');
    expect(d.text).toBe('TÍTULO COBRANÇA-IB');
    expect(d.note).toMatch(/declared 1252 but the bytes are valid UTF-8/);
  });

  it('decodes UTF-8 bytes declared as ISO-8859-1 as UTF-8', () => {
    const d = decodeBytes(enc('Carte prépayée', 'utf8'), 'ISO-8859-1');
    expect(d.used).toBe('utf-8');
    expect(d.text).toBe('Carte prépayée');
  });

  it('honours ISO-8859-1 for Latin-1 bytes', () => {
    const d = decodeBytes(enc('Carte prépayée', 'latin1'), '8859-1');
    expect(d).toMatchObject({ used: 'iso-8859-1', text: 'Carte prépayée' });
  });

  it('reads ISO-8859-1 with 0x80-0x9F bytes as windows-1252 (curly quotes, euro)', () => {
    const d = decodeBytes(enc('“5 €”', 'win1252'), 'ISO-8859-1');
    expect(d.used).toBe('windows-1252');
    expect(d.text).toBe('“5 €”');
    expect(d.note).toMatch(/windows-1252/);
  });

  it('honours windows-1250 for Polish letters', () => {
    const d = decodeBytes(enc(POLISH, 'win1250'), 'windows-1250');
    expect(d).toMatchObject({ used: 'windows-1250', text: POLISH });
  });

  it('honours ISO-8859-2 and ISO-8859-15', () => {
    expect(decodeBytes(enc('Łódź', 'iso-8859-2'), 'ISO-8859-2').text).toBe('Łódź');
    expect(decodeBytes(enc('5 € œuvre', 'iso-8859-15'), 'ISO-8859-15').text).toBe('5 € œuvre');
  });

  it('a UTF-8 declaration over Latin-1 bytes falls back with a note', () => {
    const d = decodeBytes(enc('Câble Société', 'latin1'), 'UTF-8');
    expect(d.used).toBe('windows-1252');
    expect(d.text).toBe('Câble Société');
    expect(d.note).toMatch(/not valid UTF-8/);
  });

  it('US-ASCII declared over pure ASCII is kept', () => {
    expect(decodeBytes(enc('plain', 'ascii'), 'USASCII')).toMatchObject({ used: 'us-ascii', text: 'plain' });
  });

  it('an unknown declared charset is reported and detection takes over', () => {
    const d = decodeBytes(enc('Café', 'utf8'), 'x-mac-klingon');
    expect(d.used).toBe('utf-8');
    expect(d.note).toMatch(/not supported/);
  });
});

describe('decodeBytes: nothing declared', () => {
  it('valid UTF-8 is UTF-8', () => {
    expect(decodeBytes(enc(POLISH, 'utf8'))).toMatchObject({ used: 'utf-8', text: POLISH });
  });

  it('Polish windows-1250 bytes are recognised as 1250, not 1252', () => {
    const d = decodeBytes(enc(POLISH, 'win1250'));
    expect(d.used).toBe('windows-1250');
    expect(d.text).toBe(POLISH);
  });

  it('Czech windows-1250 bytes are recognised as 1250', () => {
    const czech = '"Položka";"Datum zaúčtování";"Částka CZK";"Zpráva pro příjemce";"Důvod"\n';
    expect(decodeBytes(enc(czech, 'win1250')).text).toBe(czech);
  });

  it('French and German windows-1252 bytes stay 1252', () => {
    const western = 'Prélèvement à la Société Générale; Straße Müller; Crédit agricole; Noël\n';
    const d = decodeBytes(enc(western, 'win1252'));
    expect(d.used).toBe('windows-1252');
    expect(d.text).toBe(western);
    expect(d.note).toMatch(/not valid UTF-8/);
  });

  it('binary data is refused with ENCODING', () => {
    const bytes = new Uint8Array(4000);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = i % 20 === 0 ? 0 : 0x80 + ((i * 7919) % 128);
    expect(() => decodeBytes(bytes)).toThrow(ImportError);
    try {
      decodeBytes(bytes);
    } catch (e) {
      expect((e as ImportError).code).toBe('ENCODING');
    }
  });
});

describe('normalizeCharset', () => {
  it.each([
    ['1252', 'windows-1252'],
    ['CP1252', 'windows-1252'],
    ['windows-1250', 'windows-1250'],
    ['ISO-8859-1', 'iso-8859-1'],
    ['8859-1', 'iso-8859-1'],
    ['latin1', 'iso-8859-1'],
    ['USASCII', 'us-ascii'],
    ['us-ascii', 'us-ascii'],
    ['UTF-8', 'utf-8'],
    ['utf8', 'utf-8'],
    ['ISO8859-15', 'iso-8859-15'],
    ['NONE', undefined],
    ['', undefined],
  ])('%s -> %s', (label, expected) => {
    expect(normalizeCharset(label)).toBe(expected);
  });
});

describe('sniffDeclaredCharset', () => {
  const b = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
  it('reads the OFX 1 CHARSET under ENCODING:USASCII', () => {
    expect(sniffDeclaredCharset(b('OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nENCODING:USASCII\r\nCHARSET:1252\r\n\r\n<OFX>'))).toBe('1252');
  });
  it('prefers ENCODING:UTF-8', () => {
    expect(sniffDeclaredCharset(b('\r\n\r\nOFXHEADER:100\nENCODING:UTF-8\nCHARSET:NONE\n<OFX>'))).toBe('UTF-8');
  });
  it('USASCII with CHARSET NONE is US-ASCII', () => {
    expect(sniffDeclaredCharset(b('OFXHEADER:100\nENCODING:USASCII\nCHARSET:NONE\n<OFX>'))).toBe('USASCII');
  });
  it('tolerates odd spacing and order', () => {
    expect(sniffDeclaredCharset(b('  CHARSET : 8859-1\r\n OFXHEADER:100\r\n'))).toBe('8859-1');
  });
  it('reads an XML prolog', () => {
    expect(sniffDeclaredCharset(b('<?xml version="1.0" encoding="ISO-8859-1"?><Document/>'))).toBe('ISO-8859-1');
    expect(sniffDeclaredCharset(b("\ufeff<?xml version='1.0' encoding='utf-8' ?>"))).toBe('utf-8');
  });
  it('answers undefined for QIF and CSV', () => {
    expect(sniffDeclaredCharset(b('!Type:Bank\nD1/1/24\n'))).toBeUndefined();
    expect(sniffDeclaredCharset(b('date,amount\n'))).toBeUndefined();
  });
});
