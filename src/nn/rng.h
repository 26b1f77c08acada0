/* Internal: a small deterministic random number generator (xoshiro128+ seeded
 * by splitmix64), the same on every platform, for weight initialisation,
 * dropout, shuffling and augmentation. State is the caller's: no globals. */
#ifndef SKELACT_NN_RNG_H
#define SKELACT_NN_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct sk_rng {
    uint32_t s[4];
} sk_rng;

static inline uint64_t sk__splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void sk_rng_seed(sk_rng *r, uint64_t seed)
{
    uint64_t a = sk__splitmix64(&seed), b = sk__splitmix64(&seed);
    r->s[0] = (uint32_t)a;
    r->s[1] = (uint32_t)(a >> 32);
    r->s[2] = (uint32_t)b;
    r->s[3] = (uint32_t)(b >> 32) | 1u; /* never all zero */
}

static inline uint32_t sk__rotl32(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

/* Next 32 random bits. */
static inline uint32_t sk_rng_u32(sk_rng *r)
{
    uint32_t *s = r->s;
    uint32_t result = s[0] + s[3];
    uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sk__rotl32(s[3], 11);
    return result;
}

/* Uniform in [0, 1). */
static inline float sk_rng_float(sk_rng *r)
{
    return (float)(sk_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

/* Uniform in [lo, hi). */
static inline float sk_rng_uniform(sk_rng *r, float lo, float hi)
{
    return lo + (hi - lo) * sk_rng_float(r);
}

/* Uniform integer in [0, n), n > 0. */
static inline uint32_t sk_rng_below(sk_rng *r, uint32_t n)
{
    return (uint32_t)(((uint64_t)sk_rng_u32(r) * n) >> 32);
}

/* Standard normal (Box-Muller). */
static inline float sk_rng_normal(sk_rng *r)
{
    float u = sk_rng_float(r), v = sk_rng_float(r);
    if (u < 1e-7f)
        u = 1e-7f;
    return sqrtf(-2.0f * logf(u)) * cosf(6.28318530718f * v);
}

#endif
