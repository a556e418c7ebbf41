using Dfid.Models;
using Dfid.Models.Batch;

namespace Dfid.Tests.Models;

public sealed class BatchChunksTests
{
    private static PreparedBatchRequest Request(string id, int bodyBytes) => new(id, "k-" + id, new byte[bodyBytes], null);

    [Fact]
    public void BatchChunks_ByCount_KeepsOrderAndFillsEachBatch()
    {
        var requests = Enumerable.Range(1, 7).Select(i => Request($"r{i}", 10)).ToList();

        var chunks = BatchChunks.Split(requests, new BatchLimits(3, 1_000_000, 0));

        Assert.Equal([["r1", "r2", "r3"], ["r4", "r5", "r6"], ["r7"]], chunks.Select(c => c.Select(r => r.CustomId).ToArray()));
    }

    [Fact]
    public void BatchChunks_ByBytes_CountsBodyIdAndEnvelope()
    {
        // Each request takes 40 body + 2 id + 8 envelope = 50 bytes; 120 bytes hold two.
        var requests = Enumerable.Range(1, 5).Select(i => Request($"r{i}", 40)).ToList();
        var limits = new BatchLimits(100, 120, 8);

        var chunks = BatchChunks.Split(requests, limits);

        Assert.Equal(50, limits.SizeOf(requests[0]));
        Assert.Equal([2, 2, 1], chunks.Select(c => c.Count));
        Assert.All(chunks, c => Assert.True(c.Sum(limits.SizeOf) <= limits.MaxBytes));
    }

    [Fact]
    public void BatchChunks_OneRequestLargerThanABatch_RefusedNamingIt()
    {
        var ex = Assert.Throws<DfidException>(() => BatchChunks.Split([Request("ok", 10), Request("huge", 500)], new BatchLimits(10, 100, 0)));

        Assert.Contains("'huge'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchLimits_Providers_AreTheDocumentedOnes()
    {
        Assert.Equal((50_000, 200_000_000L), (BatchLimits.OpenAi.MaxRequests, BatchLimits.OpenAi.MaxBytes));
        Assert.Equal(100_000, BatchLimits.Anthropic.MaxRequests);
        Assert.InRange(BatchLimits.Anthropic.MaxBytes, 255_000_000L, 256_000_000L);
    }
}
