import { describe, expect, it } from 'vitest';
import { ReceptionStats } from './reception-stats.js';
import { buildReceiverReport } from './receiver-report.js';

describe('receiver reports (RFC 3550 §6.4.2)', () => {
  it('builds RR + SDES CNAME byte-exactly', () => {
    const packet = buildReceiverReport(
      0xaabbccdd,
      [
        {
          ssrc: 0x12345678,
          fractionLost: 25,
          cumulativeLost: 3,
          extendedHighestSequence: 0x10005,
          jitter: 7,
          lastSenderReport: 0x1f3c8000,
          delaySinceLastSenderReport: 0x00010000,
        },
      ],
      'cam',
    );
    // prettier-ignore
    expect([...packet]).toEqual([
      0x81, 0xc9, 0x00, 0x07, 0xaa, 0xbb, 0xcc, 0xdd, // RR, 1 block, length 7 words
      0x12, 0x34, 0x56, 0x78, 0x19, 0x00, 0x00, 0x03, // source, fraction 25, cumulative 3
      0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x07, // extended seq, jitter
      0x1f, 0x3c, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, // LSR, DLSR (1 s)
      0x81, 0xca, 0x00, 0x03, 0xaa, 0xbb, 0xcc, 0xdd, // SDES
      0x01, 0x03, 0x63, 0x61, 0x6d, 0x00, 0x00, 0x00, // CNAME "cam", end, padding
    ]);
  });

  it('counts loss and sequence cycles from reception statistics', () => {
    const stats = new ReceptionStats(90_000);
    for (const seq of [65534, 65535, 1, 2]) stats.onPacket(7, seq, 0, 0); // 0 is lost
    stats.onSenderReport(0x1f3c8000, 1000);
    const block = stats.reportBlock(1500);
    expect(block).toMatchObject({
      ssrc: 7,
      cumulativeLost: 1,
      fractionLost: 51, // 1 of 5 expected, * 256
      extendedHighestSequence: 0x10002,
      lastSenderReport: 0x1f3c8000,
      delaySinceLastSenderReport: 32768, // 0.5 s in 1/65536 s
    });
    expect(stats.reportBlock(2000)?.fractionLost).toBe(0);
  });

  it('reports nothing before the first packet', () => {
    expect(new ReceptionStats(8000).reportBlock(0)).toBeUndefined();
  });
});
