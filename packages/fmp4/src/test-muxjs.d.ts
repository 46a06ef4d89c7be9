/**
 * Types for the parts of mux.js 7.1.0 (CommonJS, no typings of its own) that tests use as an
 * oracle: the MP4 inspector, the init-segment probe and the H.264 elementary stream parser.
 * A test-*.d.ts file: excluded from builds like every test helper.
 */
declare module 'mux.js' {
  /** A box as mp4.tools.inspect reports it: its type, size, parsed fields and child boxes. */
  export interface InspectedBox {
    type: string;
    size: number;
    boxes?: InspectedBox[];
    [field: string]: unknown;
  }

  export interface ProbedTrack {
    id: number;
    type: string;
    codec: string;
    timescale: number;
  }

  /** What H264Stream emits per NAL unit; `config` is set for an SPS. */
  export interface H264NalEvent {
    nalUnitType?: string;
    nalUnitTypeCode: number;
    config?: {
      profileIdc: number;
      levelIdc: number;
      profileCompatibility: number;
      width: number;
      height: number;
      sarRatio: [number, number];
    };
  }

  export interface H264Stream {
    on(event: 'data', listener: (event: H264NalEvent) => void): void;
    push(packet: { type: 'video'; trackId: number; pts: number; dts: number; data: Uint8Array }): void;
    flush(): void;
  }

  const muxjs: {
    mp4: {
      tools: {
        inspect(bytes: Uint8Array): InspectedBox[];
        textify(boxes: InspectedBox[], depth?: number): string;
      };
      probe: {
        tracks(init: Uint8Array): ProbedTrack[];
        timescale(init: Uint8Array): Record<number, number>;
        startTime(timescales: Record<number, number>, fragment: Uint8Array): number;
        videoTrackIds(init: Uint8Array): number[];
      };
    };
    codecs: {
      h264: { H264Stream: new () => H264Stream };
    };
  };
  export default muxjs;
}
