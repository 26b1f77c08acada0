/* The layers and the model's pass, written once for a floating-point type
 * REAL and compiled twice by src/nn/layers.c (float: training; double: the
 * gradient checks). Needs REAL, SK__R(name), R_EXP, R_TANH, R_LOG. No include
 * guard on purpose. Prototypes and shapes: src/nn/layers_decl.h. */

/* ---- kernels --------------------------------------------------------- */

/* Dot product with 16 independent partial sums: the compiler vectorizes
 * the lanes without reassociating anything (no -ffast-math), several vector
 * accumulators hide the latency of the adds, and the order of the additions
 * is fixed, so results are deterministic. */
static inline REAL SK__R(dot)(const REAL *restrict a, const REAL *restrict b,
                              int n)
{
    REAL s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    REAL s8 = 0, s9 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 += a[i + 0] * b[i + 0];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
        s4 += a[i + 4] * b[i + 4];
        s5 += a[i + 5] * b[i + 5];
        s6 += a[i + 6] * b[i + 6];
        s7 += a[i + 7] * b[i + 7];
        s8 += a[i + 8] * b[i + 8];
        s9 += a[i + 9] * b[i + 9];
        s10 += a[i + 10] * b[i + 10];
        s11 += a[i + 11] * b[i + 11];
        s12 += a[i + 12] * b[i + 12];
        s13 += a[i + 13] * b[i + 13];
        s14 += a[i + 14] * b[i + 14];
        s15 += a[i + 15] * b[i + 15];
    }
    if (i + 8 <= n) {
        s0 += a[i + 0] * b[i + 0];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
        s4 += a[i + 4] * b[i + 4];
        s5 += a[i + 5] * b[i + 5];
        s6 += a[i + 6] * b[i + 6];
        s7 += a[i + 7] * b[i + 7];
        i += 8;
    }
    REAL s = (((s0 + s8) + (s1 + s9)) + ((s2 + s10) + (s3 + s11))) +
             (((s4 + s12) + (s5 + s13)) + ((s6 + s14) + (s7 + s15)));
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* y += a * x over n elements, in blocks of 8 for the vectorizer. */
static inline void SK__R(axpy)(REAL *restrict y, REAL a,
                               const REAL *restrict x, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        y[i + 0] += a * x[i + 0];
        y[i + 1] += a * x[i + 1];
        y[i + 2] += a * x[i + 2];
        y[i + 3] += a * x[i + 3];
        y[i + 4] += a * x[i + 4];
        y[i + 5] += a * x[i + 5];
        y[i + 6] += a * x[i + 6];
        y[i + 7] += a * x[i + 7];
    }
    for (; i < n; i++)
        y[i] += a * x[i];
}

#ifndef SK__MM_BLOCK
#define SK__MM_BLOCK 32 /* rows of w kept hot in L1 while all rows of inp pass */
#endif

/* out[n*ldo + o] = b[o] + inp[n*ldi + :] . w[o*I + :]  (b NULL = 0). */
static void SK__R(mm_nt)(REAL *out, int ldo,           /* (N,O) */
                         const REAL *inp, int ldi,     /* (N,I) */
                         const REAL *w, const REAL *b, /* (O,I) (O) */
                         int N, int I, int O)
{
    for (int o0 = 0; o0 < O; o0 += SK__MM_BLOCK) {
        int o1 = o0 + SK__MM_BLOCK < O ? o0 + SK__MM_BLOCK : O;
        for (int n = 0; n < N; n++) {
            const REAL *x = inp + (size_t)n * ldi;
            REAL *y = out + (size_t)n * ldo;
            for (int o = o0; o < o1; o++)
                y[o] = (b ? b[o] : 0) + SK__R(dot)(x, w + (size_t)o * I, I);
        }
    }
}

/* y += a0 x0 + a1 x1 + a2 x2 + a3 x3 over n elements: one load and store of
 * y per four multiply-adds; blocks of 8 for the vectorizer. */
static inline void SK__R(axpy4)(REAL *restrict y, const REAL *a,
                                const REAL *restrict x0,
                                const REAL *restrict x1,
                                const REAL *restrict x2,
                                const REAL *restrict x3, int n)
{
    REAL a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    int i = 0;
#define SK__AXPY4_LANE(j) \
    y[i + j] += a0 * x0[i + j] + a1 * x1[i + j] + a2 * x2[i + j] + a3 * x3[i + j]
    for (; i + 8 <= n; i += 8) {
        SK__AXPY4_LANE(0);
        SK__AXPY4_LANE(1);
        SK__AXPY4_LANE(2);
        SK__AXPY4_LANE(3);
        SK__AXPY4_LANE(4);
        SK__AXPY4_LANE(5);
        SK__AXPY4_LANE(6);
        SK__AXPY4_LANE(7);
    }
    for (; i < n; i++)
        SK__AXPY4_LANE(0);
#undef SK__AXPY4_LANE
}

/* wt (I,O) = w (O,I) transposed. */
static void SK__R(transpose)(REAL *wt, const REAL *w, int O, int I)
{
    for (int o = 0; o < O; o++)
        for (int i = 0; i < I; i++)
            wt[(size_t)i * O + o] = w[(size_t)o * I + i];
}

#ifndef SK__MM_COLS
#define SK__MM_COLS 512 /* output columns per pass (measured: 512 beat 64 and
                           128 by ~5% at the reference shapes, 4H <= 512) */
#endif

/* out[n*ldo + o] = b[o] + sum_i inp[n*ldi + i] * wt[i*O + o]  (b NULL = 0):
 * the product of mm_nt with the weights transposed, as sums of scaled rows
 * of wt (axpy4), which vectorize without horizontal sums. */
static void SK__R(mm_nn)(REAL *out, int ldo,            /* (N,O) */
                         const REAL *inp, int ldi,      /* (N,I) */
                         const REAL *wt, const REAL *b, /* (I,O) (O) */
                         int N, int I, int O)
{
    for (int o0 = 0; o0 < O; o0 += SK__MM_COLS) {
        int no = O - o0 < SK__MM_COLS ? O - o0 : SK__MM_COLS;
        for (int n = 0; n < N; n++) {
            const REAL *x = inp + (size_t)n * ldi;
            REAL *y = out + (size_t)n * ldo + o0;
            for (int o = 0; o < no; o++)
                y[o] = b ? b[o0 + o] : 0;
            const REAL *w = wt + o0;
            int i = 0;
            for (; i + 4 <= I; i += 4)
                SK__R(axpy4)(y, x + i, w + (size_t)i * O,
                             w + (size_t)(i + 1) * O, w + (size_t)(i + 2) * O,
                             w + (size_t)(i + 3) * O, no);
            for (; i < I; i++)
                SK__R(axpy)(y, x[i], w + (size_t)i * O, no);
        }
    }
}

/* dinp[n*ldd + :] += sum_o dout[n*ldo + o] * w[o*I + :]. */
static void SK__R(mm_nn_acc)(REAL *dinp, int ldd,         /* (N,I) */
                             const REAL *dout, int ldo,   /* (N,O) */
                             const REAL *w,               /* (O,I) */
                             int N, int I, int O)
{
    for (int n = 0; n < N; n++) {
        REAL *d = dinp + (size_t)n * ldd;
        const REAL *g = dout + (size_t)n * ldo;
        int o = 0;
        for (; o + 4 <= O; o += 4) {
            const REAL *wo = w + (size_t)o * I;
            SK__R(axpy4)(d, g + o, wo, wo + I, wo + 2 * (size_t)I,
                         wo + 3 * (size_t)I, I);
        }
        for (; o < O; o++)
            SK__R(axpy)(d, g[o], w + (size_t)o * I, I);
    }
}

/* dw[o*I + :] += sum_n dout[n*ldo + o] * inp[n*ldi + :];
 * db[o] += sum_n dout[n*ldo + o] (db may be NULL). */
static void SK__R(mm_tn_acc)(REAL *dw, REAL *db,          /* (O,I) (O) */
                             const REAL *dout, int ldo,   /* (N,O) */
                             const REAL *inp, int ldi,    /* (N,I) */
                             int N, int I, int O)
{
    if (db)
        for (int n = 0; n < N; n++)
            for (int o = 0; o < O; o++)
                db[o] += dout[(size_t)n * ldo + o];
    int n = 0;
    for (; n + 4 <= N; n += 4) {
        const REAL *g = dout + (size_t)n * ldo;
        const REAL *x = inp + (size_t)n * ldi;
        for (int o = 0; o < O; o++) {
            REAL a[4] = {g[o], g[ldo + o], g[2 * (size_t)ldo + o],
                         g[3 * (size_t)ldo + o]};
            SK__R(axpy4)(dw + (size_t)o * I, a, x, x + ldi,
                         x + 2 * (size_t)ldi, x + 3 * (size_t)ldi, I);
        }
    }
    for (; n < N; n++) {
        const REAL *g = dout + (size_t)n * ldo;
        const REAL *x = inp + (size_t)n * ldi;
        for (int o = 0; o < O; o++)
            SK__R(axpy)(dw + (size_t)o * I, g[o], x, I);
    }
}

static inline REAL SK__R(sigmoid)(REAL x)
{
    return 1 / (1 + R_EXP(-x));
}

/* ---- dense ----------------------------------------------------------- */

void SK__R(dense_forward)(REAL *out, const REAL *inp, const REAL *w,
                          const REAL *b, int N, int I, int O)
{
    SK__R(mm_nt)(out, O, inp, I, w, b, N, I, O);
}

void SK__R(dense_backward)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout,
                           const REAL *inp, const REAL *w, int N, int I, int O)
{
    SK__R(mm_tn_acc)(dw, db, dout, O, inp, I, N, I, O);
    if (dinp)
        SK__R(mm_nn_acc)(dinp, I, dout, O, w, N, I, O);
}

/* ---- recurrent layers: the parts GRU and LSTM share -------------------- */
/* G = gates * H. Forward: transpose the weights and project every step's
 * input, xp (B*T, G) = inp @ w_ih^T + b_ih. */
static void SK__R(rnn_project)(REAL *xp, REAL *wt_ih, REAL *wt_hh,
                               const REAL *inp, const REAL *w_ih,
                               const REAL *w_hh, const REAL *b_ih, int BT,
                               int C, int H, int G)
{
    SK__R(transpose)(wt_ih, w_ih, G, C);
    SK__R(transpose)(wt_hh, w_hh, G, H);
    SK__R(mm_nn)(xp, G, inp, C, wt_ih, b_ih, BT, C, G);
}

/* hp (B, G) = h_{t-1} @ w_hh^T + b_hh for the whole batch (h_{-1} = 0);
 * out (B, T, H) holds the layer's outputs so far. */
static void SK__R(rnn_recur)(REAL *hp, const REAL *out, const REAL *wt_hh,
                             const REAL *b_hh, int t, int B, int T, int H,
                             int G)
{
    if (t == 0) {
        for (int b = 0; b < B; b++)
            for (int g = 0; g < G; g++)
                hp[(size_t)b * G + g] = b_hh[g];
    } else {
        SK__R(mm_nn)(hp, G, out + (size_t)(t - 1) * H, T * H, wt_hh, b_hh, B,
                     H, G);
    }
}

/* Backward through step t's recurrent projection: da (B, G; row stride lda)
 * the gradients of its pre-activations feed b_hh, w_hh and dh (B, H), the
 * gradient of h_{t-1}. */
static void SK__R(rnn_recur_back)(REAL *db_hh, REAL *dw_hh, REAL *dh,
                                  const REAL *da, int lda, const REAL *out,
                                  const REAL *w_hh, int t, int B, int T, int H,
                                  int G)
{
    for (int b = 0; b < B; b++)
        for (int g = 0; g < G; g++)
            db_hh[g] += da[(size_t)b * lda + g];
    if (t > 0) {
        SK__R(mm_tn_acc)(dw_hh, NULL, da, lda, out + (size_t)(t - 1) * H,
                         T * H, B, H, G);
        SK__R(mm_nn_acc)(dh, H, da, lda, w_hh, B, H, G);
    }
}

/* Backward through the input projection: dxp (B*T, G) the gradients of
 * every step's pre-activations. */
static void SK__R(rnn_project_back)(REAL *dinp, REAL *dw_ih, REAL *db_ih,
                                    const REAL *dxp, const REAL *inp,
                                    const REAL *w_ih, int BT, int C, int G)
{
    SK__R(mm_tn_acc)(dw_ih, db_ih, dxp, G, inp, C, BT, C, G);
    if (dinp)
        SK__R(mm_nn_acc)(dinp, C, dxp, G, w_ih, BT, C, G);
}

/* ---- GRU ------------------------------------------------------------- */
/* cache: xp (B,T,3H) input projections, later their gradients;
 *        gate (B,T,3H) r, z, n;  hn (B,T,H) W_hn h + b_hn;
 *        hp (B,3H) recurrent projections / their gradients; dh (B,H);
 *        wt_ih (C,3H), wt_hh (H,3H) the weights transposed. */

void SK__R(gru_forward)(REAL *out, REAL *cache, const REAL *inp,
                        const REAL *w_ih, const REAL *w_hh, const REAL *b_ih,
                        const REAL *b_hh, int B, int T, int C, int H)
{
    size_t BT = (size_t)B * T, G = 3 * (size_t)H;
    REAL *xp = cache, *gate = xp + BT * G, *hn = gate + BT * G;
    REAL *hp = hn + BT * H, *wt_ih = hp + (size_t)B * G + (size_t)B * H;
    REAL *wt_hh = wt_ih + G * C;
    SK__R(rnn_project)(xp, wt_ih, wt_hh, inp, w_ih, w_hh, b_ih, (int)BT, C, H, (int)G);
    for (int t = 0; t < T; t++) {
        SK__R(rnn_recur)(hp, out, wt_hh, b_hh, t, B, T, H, (int)G);
        for (int b = 0; b < B; b++) {
            size_t bt = (size_t)b * T + t;
            const REAL *x = xp + bt * G, *h = hp + b * G;
            const REAL *hprev = t ? out + (bt - 1) * H : NULL;
            REAL *gt = gate + bt * G, *o = out + bt * H;
            for (int j = 0; j < H; j++) {
                REAL r = SK__R(sigmoid)(x[j] + h[j]);
                REAL z = SK__R(sigmoid)(x[H + j] + h[H + j]);
                REAL n = R_TANH(x[2 * H + j] + r * h[2 * H + j]);
                gt[j] = r;
                gt[H + j] = z;
                gt[2 * H + j] = n;
                hn[bt * H + j] = h[2 * H + j];
                o[j] = (1 - z) * n + z * (hprev ? hprev[j] : 0);
            }
        }
    }
}

void SK__R(gru_backward)(REAL *dinp, REAL *dw_ih, REAL *dw_hh, REAL *db_ih,
                         REAL *db_hh, REAL *cache, const REAL *dout,
                         const REAL *out, const REAL *inp, const REAL *w_ih,
                         const REAL *w_hh, int B, int T, int C, int H)
{
    size_t BT = (size_t)B * T, G = 3 * (size_t)H;
    REAL *dxp = cache, *gate = dxp + BT * G, *hn = gate + BT * G;
    REAL *dhp = hn + BT * H, *dh = dhp + (size_t)B * G;
    for (size_t i = 0; i < (size_t)B * H; i++)
        dh[i] = 0;
    for (int t = T - 1; t >= 0; t--) {
        for (int b = 0; b < B; b++) {
            size_t bt = (size_t)b * T + t;
            const REAL *gt = gate + bt * G;
            const REAL *hprev = t ? out + (bt - 1) * H : NULL;
            REAL *dx = dxp + bt * G, *dhh = dhp + b * G, *dhb = dh + b * H;
            for (int j = 0; j < H; j++) {
                REAL r = gt[j], z = gt[H + j], n = gt[2 * H + j];
                REAL hv = hprev ? hprev[j] : 0;
                REAL d = dout[bt * H + j] + dhb[j];
                REAL dan = d * (1 - z) * (1 - n * n);
                REAL dar = dan * hn[bt * H + j] * r * (1 - r);
                REAL daz = d * (hv - n) * z * (1 - z);
                dx[j] = dar;
                dx[H + j] = daz;
                dx[2 * H + j] = dan;
                dhh[j] = dar;
                dhh[H + j] = daz;
                dhh[2 * H + j] = dan * r;
                dhb[j] = d * z;
            }
        }
        SK__R(rnn_recur_back)(db_hh, dw_hh, dh, dhp, (int)G, out, w_hh, t, B, T,
                              H, (int)G);
    }
    SK__R(rnn_project_back)(dinp, dw_ih, db_ih, dxp, inp, w_ih, (int)BT, C, (int)G);
}

/* ---- LSTM ------------------------------------------------------------ */
/* cache: xp (B,T,4H) input projections, later the gate gradients;
 *        gate (B,T,4H) i, f, g, o;  c (B,T,H);  tc (B,T,H) tanh(c);
 *        hp (B,4H);  dh (B,H);  dc (B,H);
 *        wt_ih (C,4H), wt_hh (H,4H) the weights transposed. */

void SK__R(lstm_forward)(REAL *out, REAL *cache, const REAL *inp,
                         const REAL *w_ih, const REAL *w_hh, const REAL *b_ih,
                         const REAL *b_hh, int B, int T, int C, int H)
{
    size_t BT = (size_t)B * T, G = 4 * (size_t)H;
    REAL *xp = cache, *gate = xp + BT * G, *cs = gate + BT * G;
    REAL *tc = cs + BT * H, *hp = tc + BT * H;
    REAL *wt_ih = hp + (size_t)B * G + 2 * (size_t)B * H, *wt_hh = wt_ih + G * C;
    SK__R(rnn_project)(xp, wt_ih, wt_hh, inp, w_ih, w_hh, b_ih, (int)BT, C, H, (int)G);
    for (int t = 0; t < T; t++) {
        SK__R(rnn_recur)(hp, out, wt_hh, b_hh, t, B, T, H, (int)G);
        for (int b = 0; b < B; b++) {
            size_t bt = (size_t)b * T + t;
            const REAL *x = xp + bt * G, *h = hp + b * G;
            const REAL *cprev = t ? cs + (bt - 1) * H : NULL;
            REAL *gt = gate + bt * G;
            for (int j = 0; j < H; j++) {
                REAL i = SK__R(sigmoid)(x[j] + h[j]);
                REAL f = SK__R(sigmoid)(x[H + j] + h[H + j]);
                REAL g = R_TANH(x[2 * H + j] + h[2 * H + j]);
                REAL o = SK__R(sigmoid)(x[3 * H + j] + h[3 * H + j]);
                REAL c = f * (cprev ? cprev[j] : 0) + i * g;
                REAL tcv = R_TANH(c);
                gt[j] = i;
                gt[H + j] = f;
                gt[2 * H + j] = g;
                gt[3 * H + j] = o;
                cs[bt * H + j] = c;
                tc[bt * H + j] = tcv;
                out[bt * H + j] = o * tcv;
            }
        }
    }
}

void SK__R(lstm_backward)(REAL *dinp, REAL *dw_ih, REAL *dw_hh, REAL *db_ih,
                          REAL *db_hh, REAL *cache, const REAL *dout,
                          const REAL *out, const REAL *inp, const REAL *w_ih,
                          const REAL *w_hh, int B, int T, int C, int H)
{
    size_t BT = (size_t)B * T, G = 4 * (size_t)H;
    REAL *dxp = cache, *gate = dxp + BT * G, *cs = gate + BT * G;
    REAL *tc = cs + BT * H, *hp = tc + BT * H;
    REAL *dh = hp + (size_t)B * G, *dc = dh + (size_t)B * H;
    for (size_t i = 0; i < (size_t)B * H; i++)
        dh[i] = dc[i] = 0;
    for (int t = T - 1; t >= 0; t--) {
        for (int b = 0; b < B; b++) {
            size_t bt = (size_t)b * T + t;
            const REAL *gt = gate + bt * G;
            const REAL *cprev = t ? cs + (bt - 1) * H : NULL;
            REAL *da = dxp + bt * G, *dhb = dh + b * H, *dcb = dc + b * H;
            for (int j = 0; j < H; j++) {
                REAL i = gt[j], f = gt[H + j], g = gt[2 * H + j];
                REAL o = gt[3 * H + j], tcv = tc[bt * H + j];
                REAL d = dout[bt * H + j] + dhb[j];
                REAL dcv = dcb[j] + d * o * (1 - tcv * tcv);
                da[j] = dcv * g * i * (1 - i);
                da[H + j] = dcv * (cprev ? cprev[j] : 0) * f * (1 - f);
                da[2 * H + j] = dcv * i * (1 - g * g);
                da[3 * H + j] = d * tcv * o * (1 - o);
                dcb[j] = dcv * f;
                dhb[j] = 0;
            }
        }
        /* The pre-activation gradients of step t are the rows t of dxp:
         * they feed b_hh, w_hh and h_{t-1} as they feed b_ih, w_ih, x. */
        SK__R(rnn_recur_back)(db_hh, dw_hh, dh, dxp + (size_t)t * G, T * (int)G,
                              out, w_hh, t, B, T, H, (int)G);
    }
    SK__R(rnn_project_back)(dinp, dw_ih, db_ih, dxp, inp, w_ih, (int)BT, C, (int)G);
}

/* ---- bidirectional GRU ---------------------------------------------- */
/* cache: gru cache (forward), gru cache (backward), xr (B,T,C), of (B,T,H),
 * ob (B,T,H), dof (B,T,H), dob (B,T,H), dxr (B,T,C). */

static void SK__R(reverse_time)(REAL *dst, const REAL *src, int B, int T, int C)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            memcpy(dst + ((size_t)b * T + t) * C,
                   src + ((size_t)b * T + (T - 1 - t)) * C, (size_t)C * sizeof *dst);
}

void SK__R(bigru_forward)(REAL *out, REAL *cache, const REAL *inp,
                          const REAL *w_ih, const REAL *w_hh, const REAL *b_ih,
                          const REAL *b_hh, const REAL *w_ih_r,
                          const REAL *w_hh_r, const REAL *b_ih_r,
                          const REAL *b_hh_r, int B, int T, int C, int H)
{
    size_t gc = sk__gru_cache_size(B, T, C, H), BT = (size_t)B * T;
    REAL *cf = cache, *cb = cf + gc, *xr = cb + gc, *of = xr + BT * C;
    REAL *ob = of + BT * H;
    SK__R(reverse_time)(xr, inp, B, T, C);
    SK__R(gru_forward)(of, cf, inp, w_ih, w_hh, b_ih, b_hh, B, T, C, H);
    SK__R(gru_forward)(ob, cb, xr, w_ih_r, w_hh_r, b_ih_r, b_hh_r, B, T, C, H);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            REAL *o = out + ((size_t)b * T + t) * 2 * H;
            memcpy(o, of + ((size_t)b * T + t) * H, (size_t)H * sizeof *o);
            memcpy(o + H, ob + ((size_t)b * T + (T - 1 - t)) * H,
                   (size_t)H * sizeof *o);
        }
}

void SK__R(bigru_backward)(REAL *dinp, REAL *dw_ih, REAL *dw_hh, REAL *db_ih,
                           REAL *db_hh, REAL *dw_ih_r, REAL *dw_hh_r,
                           REAL *db_ih_r, REAL *db_hh_r, REAL *cache,
                           const REAL *dout, const REAL *inp, const REAL *w_ih,
                           const REAL *w_hh, const REAL *w_ih_r,
                           const REAL *w_hh_r, int B, int T, int C, int H)
{
    size_t gc = sk__gru_cache_size(B, T, C, H), BT = (size_t)B * T;
    REAL *cf = cache, *cb = cf + gc, *xr = cb + gc, *of = xr + BT * C;
    REAL *ob = of + BT * H, *dof = ob + BT * H, *dob = dof + BT * H;
    REAL *dxr = dob + BT * H;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const REAL *d = dout + ((size_t)b * T + t) * 2 * H;
            memcpy(dof + ((size_t)b * T + t) * H, d, (size_t)H * sizeof *d);
            memcpy(dob + ((size_t)b * T + (T - 1 - t)) * H, d + H,
                   (size_t)H * sizeof *d);
        }
    SK__R(gru_backward)(dinp, dw_ih, dw_hh, db_ih, db_hh, cf, dof, of, inp, w_ih,
                        w_hh, B, T, C, H);
    if (dinp)
        for (size_t i = 0; i < BT * C; i++)
            dxr[i] = 0;
    SK__R(gru_backward)(dinp ? dxr : NULL, dw_ih_r, dw_hh_r, db_ih_r, db_hh_r, cb,
                        dob, ob, xr, w_ih_r, w_hh_r, B, T, C, H);
    if (dinp)
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                REAL *dx = dinp + ((size_t)b * T + t) * C;
                const REAL *dr = dxr + ((size_t)b * T + (T - 1 - t)) * C;
                for (int c = 0; c < C; c++)
                    dx[c] += dr[c];
            }
}

/* ---- causal dilated convolution ------------------------------------ */
/* cache: col (B,T,C*K), col[b,t,c*K+k] = inp[b, t-(K-1-k)*d, c] (0 before
 * the start), so out = col @ w^T + b with w (O, C*K) in PyTorch's layout;
 * then wt (C*K, O), w transposed. */

void SK__R(conv_forward)(REAL *out, REAL *cache, const REAL *inp,
                         const REAL *w, const REAL *b, int B, int T, int C,
                         int O, int K, int d)
{
    size_t CK = (size_t)C * K;
    for (int bb = 0; bb < B; bb++)
        for (int t = 0; t < T; t++) {
            REAL *col = cache + ((size_t)bb * T + t) * CK;
            for (int k = 0; k < K; k++) {
                int ts = t - (K - 1 - k) * d;
                if (ts < 0) {
                    for (int c = 0; c < C; c++)
                        col[(size_t)c * K + k] = 0;
                    continue;
                }
                const REAL *x = inp + ((size_t)bb * T + ts) * C;
                for (int c = 0; c < C; c++)
                    col[(size_t)c * K + k] = x[c];
            }
        }
    REAL *wt = cache + (size_t)B * T * CK;
    SK__R(transpose)(wt, w, O, (int)CK);
    SK__R(mm_nn)(out, O, cache, (int)CK, wt, b, B * T, (int)CK, O);
}

void SK__R(conv_backward)(REAL *dinp, REAL *dw, REAL *db, REAL *cache,
                          const REAL *dout, const REAL *w, int B, int T, int C,
                          int O, int K, int d)
{
    size_t CK = (size_t)C * K, BT = (size_t)B * T;
    SK__R(mm_tn_acc)(dw, db, dout, O, cache, (int)CK, (int)BT, (int)CK, O);
    if (!dinp)
        return;
    for (size_t i = 0; i < BT * CK; i++)
        cache[i] = 0;
    SK__R(mm_nn_acc)(cache, (int)CK, dout, O, w, (int)BT, (int)CK, O);
    for (int bb = 0; bb < B; bb++)
        for (int t = 0; t < T; t++) {
            const REAL *dcol = cache + ((size_t)bb * T + t) * CK;
            for (int k = 0; k < K; k++) {
                int ts = t - (K - 1 - k) * d;
                if (ts < 0)
                    continue;
                REAL *dx = dinp + ((size_t)bb * T + ts) * C;
                for (int c = 0; c < C; c++)
                    dx[c] += dcol[(size_t)c * K + k];
            }
        }
}

/* ---- mean over time --------------------------------------------------- */

void SK__R(meanpool_forward)(REAL *out, const REAL *inp, int B, int T, int H)
{
    REAL inv = (REAL)1 / (REAL)T;
    for (int b = 0; b < B; b++) {
        REAL *o = out + (size_t)b * H;
        const REAL *x = inp + (size_t)b * T * H;
        for (int h = 0; h < H; h++)
            o[h] = 0;
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++)
                o[h] += x[(size_t)t * H + h];
        for (int h = 0; h < H; h++)
            o[h] *= inv;
    }
}

void SK__R(meanpool_backward)(REAL *dinp, const REAL *dout, int B, int T, int H)
{
    REAL inv = (REAL)1 / (REAL)T;
    for (int b = 0; b < B; b++) {
        const REAL *d = dout + (size_t)b * H;
        REAL *dx = dinp + (size_t)b * T * H;
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++)
                dx[(size_t)t * H + h] += d[h] * inv;
    }
}

/* ---- ReLU, dropout --------------------------------------------------- */

void SK__R(relu_forward)(REAL *out, const REAL *inp, size_t N)
{
    for (size_t i = 0; i < N; i++)
        out[i] = inp[i] > 0 ? inp[i] : 0;
}

void SK__R(relu_backward)(REAL *dinp, const REAL *dout, const REAL *out,
                          size_t N)
{
    for (size_t i = 0; i < N; i++)
        if (out[i] > 0)
            dinp[i] += dout[i];
}

void SK__R(dropout_forward)(REAL *out, REAL *mask, const REAL *inp, float p,
                            sk_rng *rng, size_t N)
{
    if (rng) {
        REAL keep = (REAL)1 / (1 - (REAL)p);
        for (size_t i = 0; i < N; i++)
            mask[i] = sk_rng_float(rng) < p ? 0 : keep;
    }
    for (size_t i = 0; i < N; i++)
        out[i] = inp[i] * mask[i];
}

void SK__R(dropout_backward)(REAL *dinp, const REAL *dout, const REAL *mask,
                             size_t N)
{
    for (size_t i = 0; i < N; i++)
        dinp[i] += dout[i] * mask[i];
}

/* ---- softmax cross-entropy ------------------------------------------ */

double SK__R(softmax_ce_forward)(REAL *probs, REAL *losses, const REAL *logits,
                                 const int *y, int B, int K, float ls)
{
    double sum = 0;
    for (int b = 0; b < B; b++) {
        const REAL *l = logits + (size_t)b * K;
        REAL *p = probs + (size_t)b * K;
        REAL mx = l[0];
        for (int k = 1; k < K; k++)
            if (l[k] > mx)
                mx = l[k];
        REAL s = 0;
        for (int k = 0; k < K; k++)
            s += (p[k] = R_EXP(l[k] - mx));
        for (int k = 0; k < K; k++)
            p[k] /= s;
        if (y) {
            /* -log softmax from the logits, not log(p): exact for tiny p. */
            REAL loss = R_LOG(s) - (l[y[b]] - mx);
            if (ls > 0) { /* -(1-ls) log p_y - ls/K sum_k log p_k */
                REAL all = 0;
                for (int k = 0; k < K; k++)
                    all += R_LOG(s) - (l[k] - mx);
                loss = (1 - (REAL)ls) * loss + (REAL)ls / K * all;
            }
            if (losses)
                losses[b] = loss;
            sum += loss;
        }
    }
    return sum;
}

void SK__R(softmax_ce_backward)(REAL *dlogits, const REAL *probs, const int *y,
                                const REAL *dloss, int B, int K, float ls)
{
    REAL on = 1 - (REAL)ls, off = (REAL)ls / K;
    for (int b = 0; b < B; b++) {
        REAL g = dloss ? dloss[b] : 1;
        const REAL *p = probs + (size_t)b * K;
        REAL *d = dlogits + (size_t)b * K;
        if (ls > 0)
            for (int k = 0; k < K; k++)
                d[k] += g * (p[k] - ((k == y[b] ? on : 0) + off));
        else
            for (int k = 0; k < K; k++)
                d[k] += g * (p[k] - (k == y[b] ? 1 : 0));
    }
}

/* ---- the whole model ------------------------------------------------- */

static void SK__R(zero)(REAL *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = 0;
}

double SK__R(net_forward)(REAL *probs, REAL *ws, const sk_model_config *cfg,
                          const REAL *params, const REAL *x, const int *y,
                          const REAL *weight, int B, float p, sk_rng *rng,
                          float ls)
{
    sk__net_layout L;
    if (sk__net_layout_fill(&L, cfg, B) != 0)
        return 0;
    int T = cfg->window, H = cfg->hidden, K = cfg->classes;
    int HO = sk__arch_dirs(cfg->arch) * H; /* a layer's outputs per step */
    size_t BTH = (size_t)B * T * HO;
    const REAL *inp = x;
    for (int l = 0; l < cfg->layers; l++) {
        const sk__layer_params *lp = &L.pt.layer[l];
        REAL *out = ws + L.out[l], *cache = ws + L.cache[l];
        int C = lp->in;
        if (cfg->arch == SK_ARCH_TCN) {
            REAL *pre = ws + L.pre[l], *act = ws + L.act[l];
            SK__R(conv_forward)(pre, cache, inp, params + lp->w_ih,
                                params + lp->b_ih, B, T, C, H, cfg->kernel,
                                1 << l);
            SK__R(relu_forward)(act, pre, BTH);
            if (p > 0)
                SK__R(dropout_forward)(out, ws + L.mask[l], act, p, rng, BTH);
            else
                memcpy(out, act, BTH * sizeof *out);
            if (l > 0)
                for (size_t i = 0; i < BTH; i++)
                    out[i] += inp[i];
            inp = out;
        } else {
            if (cfg->arch == SK_ARCH_GRU)
                SK__R(gru_forward)(out, cache, inp, params + lp->w_ih,
                                   params + lp->w_hh, params + lp->b_ih,
                                   params + lp->b_hh, B, T, C, H);
            else if (cfg->arch == SK_ARCH_BIGRU)
                SK__R(bigru_forward)(out, cache, inp, params + lp->w_ih,
                                     params + lp->w_hh, params + lp->b_ih,
                                     params + lp->b_hh, params + lp->w_ih_r,
                                     params + lp->w_hh_r, params + lp->b_ih_r,
                                     params + lp->b_hh_r, B, T, C, H);
            else
                SK__R(lstm_forward)(out, cache, inp, params + lp->w_ih,
                                    params + lp->w_hh, params + lp->b_ih,
                                    params + lp->b_hh, B, T, C, H);
            inp = out;
            if (p > 0 && l + 1 < cfg->layers) {
                SK__R(dropout_forward)(ws + L.drop[l], ws + L.mask[l], out, p,
                                       rng, BTH);
                inp = ws + L.drop[l];
            }
        }
    }
    /* The last step (or the mean over time) of the last layer -> (dropout)
     * -> head. bigru's last step is each direction's final state: the
     * forward half at T-1, the backward half at 0. */
    REAL *last = ws + L.last, *head_in = last;
    if (cfg->pool == SK_POOL_MEAN)
        SK__R(meanpool_forward)(last, inp, B, T, HO);
    else
        for (int b = 0; b < B; b++) {
            memcpy(last + (size_t)b * HO, inp + ((size_t)b * T + T - 1) * HO,
                   (size_t)H * sizeof *last);
            if (HO > H)
                memcpy(last + (size_t)b * HO + H, inp + (size_t)b * T * HO + H,
                       (size_t)H * sizeof *last);
        }
    if (p > 0) {
        head_in = ws + L.last_drop;
        SK__R(dropout_forward)(head_in, ws + L.last_mask, last, p, rng,
                               (size_t)B * HO);
    }
    REAL *logits = ws + L.logits, *pr = ws + L.probs, *losses = ws + L.losses;
    SK__R(dense_forward)(logits, head_in, params + L.pt.w_out,
                         params + L.pt.b_out, B, HO, K);
    SK__R(softmax_ce_forward)(pr, losses, logits, y, B, K, ls);
    if (probs)
        memcpy(probs, pr, (size_t)B * K * sizeof *probs);
    double sum = 0;
    if (y)
        for (int b = 0; b < B; b++)
            sum += (double)(weight ? weight[b] : 1) * losses[b];
    return sum;
}

void SK__R(net_backward)(REAL *grads, REAL *dx, REAL *ws,
                         const sk_model_config *cfg, const REAL *params,
                         const REAL *x, const int *y, const REAL *weight,
                         int B, float p, float ls)
{
    sk__net_layout L;
    if (sk__net_layout_fill(&L, cfg, B) != 0)
        return;
    int T = cfg->window, H = cfg->hidden, K = cfg->classes, NL = cfg->layers;
    int HO = sk__arch_dirs(cfg->arch) * H; /* a layer's outputs per step */
    size_t BTH = (size_t)B * T * HO, BH = (size_t)B * HO;
    REAL *dlogits = ws + L.dlogits, *dlast = ws + L.dlast;
    REAL *dlast_drop = ws + L.dlast_drop;
    SK__R(zero)(dlogits, (size_t)B * K);
    SK__R(softmax_ce_backward)(dlogits, ws + L.probs, y, weight, B, K, ls);

    /* Head input: the (dropped-out) last step or mean of the last layer. */
    const REAL *head_in = p > 0 ? ws + L.last_drop : ws + L.last;
    SK__R(zero)(dlast_drop, BH);
    SK__R(dense_backward)(dlast_drop, grads + L.pt.w_out, grads + L.pt.b_out,
                          dlogits, head_in, params + L.pt.w_out, B, HO, K);
    if (p > 0) {
        SK__R(zero)(dlast, BH);
        SK__R(dropout_backward)(dlast, dlast_drop, ws + L.last_mask, BH);
    } else {
        memcpy(dlast, dlast_drop, BH * sizeof *dlast);
    }
    REAL *dnext = ws + L.dA, *dprev = ws + L.dB;
    SK__R(zero)(dnext, BTH);
    if (cfg->pool == SK_POOL_MEAN)
        SK__R(meanpool_backward)(dnext, dlast, B, T, HO);
    else
        for (int b = 0; b < B; b++) {
            memcpy(dnext + ((size_t)b * T + T - 1) * HO, dlast + (size_t)b * HO,
                   (size_t)H * sizeof *dnext);
            if (HO > H)
                memcpy(dnext + (size_t)b * T * HO + H, dlast + (size_t)b * HO + H,
                       (size_t)H * sizeof *dnext);
        }

    for (int l = NL - 1; l >= 0; l--) {
        const sk__layer_params *lp = &L.pt.layer[l];
        int C = lp->in;
        /* This layer's input, as the forward pass saw it. */
        const REAL *inp = x;
        if (l > 0) {
            inp = ws + L.out[l - 1];
            if (cfg->arch != SK_ARCH_TCN && p > 0)
                inp = ws + L.drop[l - 1];
        }
        REAL *dinp = l > 0 ? dprev : dx;
        if (l > 0)
            SK__R(zero)(dprev, BTH);
        REAL *cache = ws + L.cache[l], *dt = ws + L.dT;
        if (cfg->arch == SK_ARCH_TCN) {
            if (l > 0) /* residual */
                for (size_t i = 0; i < BTH; i++)
                    dinp[i] += dnext[i];
            const REAL *dact = dnext;
            if (p > 0) {
                SK__R(zero)(dt, BTH);
                SK__R(dropout_backward)(dt, dnext, ws + L.mask[l], BTH);
                dact = dt;
            }
            REAL *dpre = ws + L.dT2;
            SK__R(zero)(dpre, BTH);
            SK__R(relu_backward)(dpre, dact, ws + L.act[l], BTH);
            SK__R(conv_backward)(dinp, grads + lp->w_ih, grads + lp->b_ih,
                                 cache, dpre, params + lp->w_ih, B, T, C, H,
                                 cfg->kernel, 1 << l);
        } else {
            const REAL *dout = dnext;
            if (p > 0 && l + 1 < NL) {
                SK__R(zero)(dt, BTH);
                SK__R(dropout_backward)(dt, dnext, ws + L.mask[l], BTH);
                dout = dt;
            }
            if (cfg->arch == SK_ARCH_GRU)
                SK__R(gru_backward)(dinp, grads + lp->w_ih, grads + lp->w_hh,
                                    grads + lp->b_ih, grads + lp->b_hh, cache,
                                    dout, ws + L.out[l], inp, params + lp->w_ih,
                                    params + lp->w_hh, B, T, C, H);
            else if (cfg->arch == SK_ARCH_BIGRU)
                SK__R(bigru_backward)(dinp, grads + lp->w_ih, grads + lp->w_hh,
                                      grads + lp->b_ih, grads + lp->b_hh,
                                      grads + lp->w_ih_r, grads + lp->w_hh_r,
                                      grads + lp->b_ih_r, grads + lp->b_hh_r,
                                      cache, dout, inp, params + lp->w_ih,
                                      params + lp->w_hh, params + lp->w_ih_r,
                                      params + lp->w_hh_r, B, T, C, H);
            else
                SK__R(lstm_backward)(dinp, grads + lp->w_ih, grads + lp->w_hh,
                                     grads + lp->b_ih, grads + lp->b_hh, cache,
                                     dout, ws + L.out[l], inp,
                                     params + lp->w_ih, params + lp->w_hh, B,
                                     T, C, H);
        }
        REAL *tmp = dnext;
        dnext = dprev;
        dprev = tmp;
    }
}
