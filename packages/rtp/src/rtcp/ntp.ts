/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01), RFC 5905 §6. */
const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

/** 64-bit NTP timestamp (seconds, fraction) to milliseconds since the Unix epoch. */
export function ntpToUnixMs(seconds: number, fraction: number): number {
  return (seconds - NTP_UNIX_OFFSET_SECONDS) * 1000 + (fraction / 2 ** 32) * 1000;
}

/** Milliseconds since the Unix epoch to a 64-bit NTP timestamp [seconds, fraction]. */
export function unixMsToNtp(ms: number): [seconds: number, fraction: number] {
  const totalSeconds = ms / 1000 + NTP_UNIX_OFFSET_SECONDS;
  const seconds = Math.floor(totalSeconds);
  const fraction = Math.min(2 ** 32 - 1, Math.round((totalSeconds - seconds) * 2 ** 32));
  return [seconds >>> 0, fraction >>> 0];
}

/** The middle 32 bits of an NTP timestamp, as used in LSR/DLSR (RFC 3550 §6.4.1). */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}
