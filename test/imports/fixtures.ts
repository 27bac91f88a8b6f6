// Small statement files for the import-flow tests, and a multipart encoder for
// app.inject() (the same bytes curl -F would send).
import { randomBytes } from 'node:crypto';

export function ofx1(opts: { currency?: string; rows: { date: string; amount: string; fitid: string; name: string; memo?: string }[]; closing?: { amount: string; date: string } }): string {
  const d = (s: string) => s.replaceAll('-', '');
  const lines = [
    'OFXHEADER:100', 'DATA:OFXSGML', 'VERSION:102', 'SECURITY:NONE', 'ENCODING:USASCII', 'CHARSET:1252', 'COMPRESSION:NONE', 'OLDFILEUID:NONE', 'NEWFILEUID:NONE', '',
    '<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240131<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>',
    '<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>',
    `<STMTRS><CURDEF>${opts.currency ?? 'USD'}<BANKACCTFROM><BANKID>121000248<ACCTID>999988<ACCTTYPE>CHECKING</BANKACCTFROM>`,
    '<BANKTRANLIST><DTSTART>20240101<DTEND>20240131',
    ...opts.rows.map((r) => `<STMTTRN><TRNTYPE>${r.amount.startsWith('-') ? 'DEBIT' : 'CREDIT'}<DTPOSTED>${d(r.date)}<TRNAMT>${r.amount}<FITID>${r.fitid}<NAME>${r.name}${r.memo ? `<MEMO>${r.memo}` : ''}</STMTTRN>`),
    '</BANKTRANLIST>',
    ...(opts.closing ? [`<LEDGERBAL><BALAMT>${opts.closing.amount}<DTASOF>${d(opts.closing.date)}</LEDGERBAL>`] : []),
    '</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>',
  ];
  return lines.join('\r\n') + '\r\n';
}

export const JANUARY_OFX = ofx1({
  rows: [
    { date: '2024-01-03', amount: '-12.50', fitid: 'F1', name: 'COFFEE HOUSE' },
    { date: '2024-01-05', amount: '2500.00', fitid: 'F2', name: 'ACME PAYROLL', memo: 'salary' },
    { date: '2024-01-09', amount: '-89.99', fitid: 'F3', name: 'GROCER' },
  ],
  closing: { amount: '2397.51', date: '2024-01-31' },
});

export function multipart(fields: Record<string, string>, file?: { name: string; content: string | Buffer; type?: string }): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----finhubtest${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\ncontent-type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`));
    parts.push(typeof file.content === 'string' ? Buffer.from(file.content) : file.content);
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
