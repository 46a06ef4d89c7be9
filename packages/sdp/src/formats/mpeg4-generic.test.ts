import { describe, expect, it } from 'vitest';
import { parseFmtpParameters } from '../fmtp.js';
import type { TrackFormat } from '../track-format.js';
import { audioSpecificConfigSampleRate, resolveMpeg4Generic } from './mpeg4-generic.js';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const HBR = { sizeLength: 13, indexLength: 3, indexDeltaLength: 3 };
const ZERO = { ctsDeltaLength: 0, dtsDeltaLength: 0, streamStateIndication: 0, auxiliaryDataSizeLength: 0 };
const aac = (fields: Partial<Extract<TrackFormat, { codec: 'aac' }>>): TrackFormat => ({
  codec: 'aac',
  payloadType: 97,
  clockRate: 48000,
  config: bytes('1190'),
  ...HBR,
  ...ZERO,
  randomAccessIndication: false,
  ...fields,
});
const unsupported = (reason: string): TrackFormat => ({
  codec: 'unsupported',
  payloadType: 97,
  encoding: 'MPEG4-GENERIC',
  reason,
});

describe('resolveMpeg4Generic (RFC 3640)', () => {
  const cases: Array<[name: string, clockRate: number, channels: number | undefined, fmtp: string, want: TrackFormat]> =
    [
      [
        'GStreamer rtpmp4gpay AAC-hbr',
        48000,
        2,
        'streamtype=5;profile-level-id=2;mode=AAC-hbr;config=1190;sizelength=13;indexlength=3;indexdeltalength=3',
        aac({ channels: 2 }),
      ],
      [
        'mixed-case keys, spaces and a trailing semicolon (Ubiquiti, D-Link)',
        48000,
        undefined,
        'streamtype=5; profile-level-id=15; mode=AAC-hbr; config=1190; SizeLength=13; IndexLength=3; IndexDeltaLength=3; CTSDeltaLength=0; DTSDeltaLength=0;',
        aac({}),
      ],
      [
        'mode in lower case',
        48000,
        undefined,
        'mode=aac-hbr;config=1190;sizelength=13;indexlength=3;indexdeltalength=3',
        aac({}),
      ],
      [
        'aac_hbr spelling (accepted by gortsplib)',
        48000,
        undefined,
        'mode=AAC_hbr;config=1190;sizelength=13;indexlength=3;indexdeltalength=3',
        aac({}),
      ],
      ['no mode at all', 48000, undefined, 'config=1190;sizelength=13;indexlength=3;indexdeltalength=3', aac({})],
      [
        'AAC-lbr (6/2/2)',
        48000,
        undefined,
        'mode=AAC-lbr;config=1190;sizelength=6;indexlength=2;indexdeltalength=2;constantDuration=1024',
        aac({ sizeLength: 6, indexLength: 2, indexDeltaLength: 2 }),
      ],
      [
        'every AU-header field, at its limits',
        48000,
        undefined,
        'mode=AAC-hbr;config=1190;sizelength=32;indexlength=0;indexdeltalength=1;ctsdeltalength=16;dtsdeltalength=16;randomaccessindication=1;streamstateindication=8;auxiliarydatasizelength=32',
        aac({
          sizeLength: 32,
          indexLength: 0,
          indexDeltaLength: 1,
          ctsDeltaLength: 16,
          dtsDeltaLength: 16,
          randomAccessIndication: true,
          streamStateIndication: 8,
          auxiliaryDataSizeLength: 32,
        }),
      ],
      [
        'constantSize instead of sizeLength',
        48000,
        undefined,
        'mode=AAC-hbr;config=1190;constantSize=200',
        aac({ sizeLength: 0, indexLength: 0, indexDeltaLength: 0, constantSize: 200 }),
      ],
      [
        'Reolink: profile=1 and a trailing semicolon after config',
        16000,
        undefined,
        'streamtype=5;profile-level-id=15;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408; profile=1;',
        aac({ clockRate: 16000, config: bytes('1408') }),
      ],
      [
        'missing rtpmap clock rate: the AudioSpecificConfig sampling rate',
        0,
        undefined,
        'mode=AAC-hbr;config=1408;sizelength=13;indexlength=3;indexdeltalength=3',
        aac({ clockRate: 16000, config: bytes('1408') }),
      ],
      [
        'config missing',
        48000,
        undefined,
        'mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3',
        unsupported('AAC config is missing'),
      ],
      ['config empty', 48000, undefined, 'mode=AAC-hbr;config=;sizelength=13', unsupported('AAC config is missing')],
      [
        'config not hex',
        48000,
        undefined,
        'mode=AAC-hbr;config=11x0;sizelength=13',
        unsupported('AAC config "11x0" is not valid hex'),
      ],
      [
        'config of one byte',
        48000,
        undefined,
        'mode=AAC-hbr;config=11;sizelength=13',
        unsupported('AAC config "11" is not valid hex'),
      ],
      ['sizeLength missing', 48000, undefined, 'mode=AAC-hbr;config=1190', unsupported('AAC sizeLength is missing')],
      [
        'sizeLength 33',
        48000,
        undefined,
        'mode=AAC-hbr;config=1190;sizelength=33',
        unsupported('AAC sizeLength "33" is not in 0..32'),
      ],
      [
        'indexLength negative',
        48000,
        undefined,
        'mode=AAC-hbr;config=1190;sizelength=13;indexlength=-3',
        unsupported('AAC indexLength "-3" is not in 0..32'),
      ],
      [
        'constantSize 0',
        48000,
        undefined,
        'mode=AAC-hbr;config=1190;constantsize=0',
        unsupported('AAC constantSize "0" is not in 1..65535'),
      ],
      [
        'randomAccessIndication 2',
        48000,
        undefined,
        'mode=AAC-hbr;config=1190;sizelength=13;randomaccessindication=2',
        unsupported('AAC randomAccessIndication "2" is not 0 or 1'),
      ],
      [
        'CELP is not AAC',
        8000,
        undefined,
        'mode=CELP-cbr;config=440E00;constantSize=24',
        unsupported('MPEG4-GENERIC mode "CELP-cbr" is not supported (only AAC-hbr and AAC-lbr)'),
      ],
      [
        'generic mode',
        48000,
        undefined,
        'mode=generic;config=1190;sizelength=13',
        unsupported('MPEG4-GENERIC mode "generic" is not supported (only AAC-hbr and AAC-lbr)'),
      ],
      [
        'streamtype 4 is video',
        90000,
        undefined,
        'streamtype=4;mode=generic',
        unsupported('MPEG4-GENERIC streamtype "4" is not audio (5)'),
      ],
    ];
  for (const [name, clockRate, channels, fmtp, want] of cases) {
    it(name, () => {
      expect(resolveMpeg4Generic(97, clockRate, channels, parseFmtpParameters(fmtp))).toEqual(want);
    });
  }
});

describe('audioSpecificConfigSampleRate (ISO 14496-3 §1.6.2.1)', () => {
  it.each([
    ['1190', 48000],
    ['1408', 16000],
    ['1588', 8000],
    ['1210', 44100],
    // escape: samplingFrequencyIndex 15, then 24 bits of frequency (AAC-LC, 1234 Hz)
    ['1780026908', 1234],
    // audioObjectType escape (31 + 6 bits), then index 3 (48 kHz)
    ['f82640', 48000],
    // explicit frequency above 1 MHz, and 0
    ['17fffffe08', undefined],
    ['1780000008', undefined],
    ['', undefined],
    ['17', undefined],
    // index 13 is reserved
    ['1680', undefined],
  ])('%s -> %s', (hex, want) => {
    expect(audioSpecificConfigSampleRate(bytes(hex))).toBe(want);
  });
});
