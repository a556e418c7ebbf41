using Dfid.Embeddings;

namespace Dfid.Tests.Embeddings;

public class MiniLmEmbedderTests
{
    [Fact]
    public void Embed_ParaphrasesAreCloserThanUnrelatedText()
    {
        using var embedder = new MiniLmEmbedder();
        var v = embedder.Embed(["How much does it cost?", "What is the price?", "My dog likes the beach."]);
        Assert.Equal(384, v[0].Length);
        static double Dot(float[] a, float[] b) { double s = 0; for (var i = 0; i < a.Length; i++) s += a[i] * b[i]; return s; }
        Assert.InRange(Dot(v[0], v[0]), 0.999, 1.001);
        Assert.True(Dot(v[0], v[1]) > Dot(v[0], v[2]) + 0.2);
    }
}
