using System.Numerics;
using System.Runtime.CompilerServices;

namespace Dfid.Analysis.Statistics;

/// <summary>xoshiro256** with Lemire's unbiased bounded draws: a small, fast, seedable stream per resampling block.</summary>
/// <remarks>A mutable struct on purpose: it lives in a local of the hot loop. Streams for different
/// (seed, stream) pairs are decorrelated through SplitMix64 seeding.</remarks>
internal struct Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256(long seed, long stream)
    {
        var x = unchecked((ulong)seed ^ (0x9E3779B97F4A7C15UL * ((ulong)stream + 1)));
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>Mixes several integers into one seed (for per-test streams derived from the user's seed).</summary>
    public static long Derive(long seed, params ReadOnlySpan<long> parts)
    {
        var x = unchecked((ulong)seed);
        var h = SplitMix(ref x);
        foreach (var p in parts)
        {
            x = h ^ unchecked((ulong)p * 0xBF58476D1CE4E5B9UL);
            h = SplitMix(ref x);
        }
        return unchecked((long)h);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Next()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, n), unbiased (Lemire 2019).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint NextBelow(uint n)
    {
        var m = (ulong)(uint)(Next() >> 32) * n;
        var low = (uint)m;
        if (low < n)
        {
            var threshold = (uint)(-(int)n) % n;
            while (low < threshold)
            {
                m = (ulong)(uint)(Next() >> 32) * n;
                low = (uint)m;
            }
        }
        return (uint)(m >> 32);
    }

    /// <summary>Two independent uniform integers in [0, n) from one 64-bit output (Lemire on each half; a rejected half is redrawn).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NextBelow2(uint n, out uint first, out uint second)
    {
        var x = Next();
        var m1 = (ulong)(uint)x * n;
        var m2 = (x >> 32) * n;
        if ((uint)m1 < n || (uint)m2 < n)
        {
            var threshold = (uint)(-(int)n) % n;
            while ((uint)m1 < threshold) m1 = (ulong)(uint)(Next() >> 32) * n;
            while ((uint)m2 < threshold) m2 = (ulong)(uint)(Next() >> 32) * n;
        }
        first = (uint)(m1 >> 32);
        second = (uint)(m2 >> 32);
    }

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
