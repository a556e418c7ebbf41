using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Dfid.Running;

/// <summary>
/// One shard of a run (<c>dfid run EXP --shard K/N</c>): the probes of the conversations whose id hashes to shard K of N.
/// </summary>
/// <remarks>
/// The hash is stable across machines, processes and versions: SHA-256 of the conversation id's UTF-8 bytes, the first 8
/// bytes read as a big-endian unsigned 64-bit integer h; the conversation belongs to shard <c>h mod N + 1</c>. The
/// sample is drawn as without sharding and then filtered, so shards 1..N of a run partition the unsharded run's
/// conversations (and so its probes) exactly.
/// </remarks>
/// <param name="Index">K, from 1 to <paramref name="Count"/>.</param>
/// <param name="Count">N, at least 1.</param>
public sealed record RunShard(int Index, int Count)
{
    /// <summary>Whether the conversation <paramref name="conversationId"/> is in this shard.</summary>
    public bool Contains(string conversationId) => Of(conversationId, Count) == Index;

    /// <summary>The shard (1..<paramref name="count"/>) of <paramref name="conversationId"/>.</summary>
    public static int Of(string conversationId, int count)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(conversationId), hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)count) + 1;
    }

    /// <summary>Parses <c>K/N</c>.</summary>
    /// <exception cref="DfidException">Not of that form, or K outside 1..N (exit code 2).</exception>
    public static RunShard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var k)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && k >= 1 && k <= n)
            return new RunShard(k, n);
        throw new DfidException($"--shard '{text}': expected K/N with 1 <= K <= N, e.g. --shard 2/3 for the second of three shards", 2);
    }

    /// <summary><c>K/N</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
