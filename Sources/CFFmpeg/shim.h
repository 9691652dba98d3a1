#ifndef SEQCURATE_CFFMPEG_SHIM_H
#define SEQCURATE_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/sha.h>
#include <libavutil/log.h>

// Function-like macros do not import into Swift; these wrappers stand in for them.
static inline int seq_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int seq_averror_eof(void) { return AVERROR_EOF; }
static inline int seq_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline void seq_av_err2str(int err, char *buf, size_t size) { av_strerror(err, buf, size); }
static inline int64_t seq_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int seq_av_pkt_flag_key(void) { return AV_PKT_FLAG_KEY; }
static inline int seq_av_time_base(void) { return AV_TIME_BASE; }

// Rotation from the stream's display matrix, in degrees clockwise (0 when absent).
static inline double seq_stream_rotation(const AVStream *st) {
    const uint8_t *m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!m) return 0;
    double theta = -av_display_rotation_get((const int32_t *)m);
    if (theta != theta) return 0;
    // Same convention as the ffmpeg tool's autorotation: degrees clockwise in [0, 360).
    theta = theta - 360.0 * __builtin_floor(theta / 360.0 + 0.9 / 360.0);
    return theta;
}
#endif
