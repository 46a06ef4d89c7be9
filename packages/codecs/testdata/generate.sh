#!/usr/bin/env bash
# Regenerates the codec test vectors in this folder from real encoders.
# Needs ffmpeg/ffprobe with libx264, libx265 and the native aac encoder (Debian 12: ffmpeg 5.1,
# x264 core 164, x265 3.5), jq and xxd. Run from anywhere: bash packages/codecs/testdata/generate.sh
# The outputs are deterministic for a given encoder build; see README.md for what each file covers.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

# probe NAME FILE.mp4 BSF EXT: Annex-B elementary stream, per-packet pts/dts (90 kHz, decode order),
# and what ffprobe says about the stream (plus the first bytes of avcC/hvcC as ffmpeg wrote them).
probe() {
  local name=$1 mp4=$2 bsf=$3 ext=$4
  ff -i "$mp4" -c copy -bsf:v "$bsf" -f "${ext/h265/hevc}" "$name.$ext"
  ffprobe -v error -select_streams v -show_entries packet=pts,dts,flags -of csv=p=0 "$mp4" >"$name.packets.csv"
  local config
  config=$(ffprobe -v error -select_streams v -show_streams -show_data "$mp4" |
    sed -n '/^extradata=/,/^extradata_size=/p' | grep -E '^[0-9a-f]{8}:' | cut -c11-49 | tr -d ' \n' | cut -c1-46)
  ffprobe -v error -select_streams v -show_streams -of json "$name.$ext" |
    jq --arg config "$config" --arg tag "$(ffprobe -v error -select_streams v -show_entries stream=codec_tag_string -of csv=p=0 "$mp4")" \
      '.streams[0] | {codec_name, profile, level, width, height, coded_width, coded_height, pix_fmt, r_frame_rate, has_b_frames, mp4_codec_tag: $tag, mp4_decoder_config_hex: $config}' \
      >"$name.probe.json"
}

src=(-f lavfi -i testsrc2=size=320x240:rate=25 -t 2)
# One thread each: multi-threaded x264 and x265 output differs from run to run in its bits (never in
# frame types or timestamps); single-threaded, this script reproduces the committed files exactly.
x264() { local name=$1; shift; ff "${src[@]}" -c:v libx264 -threads 1 -pix_fmt yuv420p -crf 40 -g 25 -sc_threshold 0 "$@" -video_track_timescale 90000 "$tmp/$name.mp4"; probe "$name" "$tmp/$name.mp4" h264_mp4toannexb h264; }
x265() { local name=$1 params=$2; shift 2; ff "${src[@]}" -c:v libx265 -x265-params "log-level=error:pools=1:frame-threads=1:crf=35:keyint=25:min-keyint=25:scenecut=0:$params" "$@" -tag:v hvc1 -video_track_timescale 90000 "$tmp/$name.mp4"; probe "$name" "$tmp/$name.mp4" hevc_mp4toannexb h265; }

# H.264: Constrained Baseline (POC type 2), Main with 2 B-frames (no pyramid), High with 3 B-frames and
# b-pyramid, High without B-frames; each 50 frames at 25 fps with an IDR every 25 frames.
x264 h264-baseline -profile:v baseline
x264 h264-main-bf2 -profile:v main -bf 2 -x264-params b-pyramid=none
x264 h264-high-bpyramid -profile:v high -bf 3 -x264-params b-pyramid=normal
x264 h264-high-nob -profile:v high -bf 0
# 1080p: 1920x1080 is coded as 1920x1088 with frame_crop_bottom_offset 4; three frames.
ff -f lavfi -i testsrc2=size=1920x1080:rate=30 -t 0.1 -c:v libx264 -threads 1 -pix_fmt yuv420p -profile:v high -crf 51 \
  -video_track_timescale 90000 "$tmp/h264-high-1080p.mp4"
probe h264-high-1080p "$tmp/h264-high-1080p.mp4" h264_mp4toannexb h264

# H.265: Main with x265's defaults (4 B-frames, b-pyramid, open GOP: a CRA with RASL pictures at frame 25),
# Main 10 with a closed GOP (IDR every 25 frames), and Main without B-frames.
x265 h265-main 'open-gop=1' -pix_fmt yuv420p
x265 h265-main10 'open-gop=0' -pix_fmt yuv420p10le
x265 h265-main-nob 'bframes=0' -pix_fmt yuv420p

# AAC-LC from ffmpeg's native encoder: ADTS streams and the configurations ffmpeg's RTP muxer puts in SDP
# (mpeg4-generic config= is an AudioSpecificConfig, MP4A-LATM config= is a StreamMuxConfig).
aac() {
  local name=$1 rate=$2 channels=$3 bitrate=$4
  local in=(-f lavfi -i "sine=frequency=440:sample_rate=$rate" -ac "$channels" -t 0.25 -c:a aac -b:a "$bitrate")
  ff "${in[@]}" -f adts "$name.adts"
  ff "${in[@]}" -f rtp -sdp_file "$name.sdp" rtp://127.0.0.1:9
  ff "${in[@]}" -f rtp -rtpflags latm -sdp_file "$name.latm.sdp" rtp://127.0.0.1:9
  ffprobe -v error -show_streams -of json "$name.adts" |
    jq '.streams[0] | {codec_name, profile, sample_rate, channels, channel_layout}' >"$name.probe.json"
}
aac aac-lc-48k-stereo 48000 2 96k
aac aac-lc-16k-mono 16000 1 24k
# AAC Main (object type 1): only its SDP. (ffmpeg cannot make HE-AAC: those vectors are built by hand in the tests.)
ff -f lavfi -i sine=frequency=440:sample_rate=48000 -ac 2 -t 0.25 -c:a aac -profile:a aac_main -b:a 96k \
  -f rtp -sdp_file aac-main-48k-stereo.sdp rtp://127.0.0.1:9
