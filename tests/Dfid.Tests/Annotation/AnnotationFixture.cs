using System.Collections.Immutable;
using System.Text.Json;
using Dfid.Annotation;
using Dfid.Corpus;

namespace Dfid.Tests.Annotation;

/// <summary>The labelling fixtures: a small hand-written shop corpus (with hostile markup in shop-07) and generated corpora.</summary>
internal static class AnnotationFixture
{
    /// <summary>10 conversations: converted, not converted and unknown; shop-07 carries <c>&lt;script&gt;</c> and <c>&lt;img onerror&gt;</c>.</summary>
    public static string CorpusPath => TestData.Fixture("annotation", "corpus.jsonl");

    public static IReadOnlyList<Conversation> Corpus() => CorpusFile.ReadAll(CorpusPath);

    public static IReadOnlyDictionary<string, Conversation> CorpusById() => Corpus().ToDictionary(c => c.Id, StringComparer.Ordinal);

    /// <summary>Hostile turn texts of shop-07, as written in the corpus.</summary>
    public static IReadOnlyList<string> Hostile { get; } =
    [
        "<script>window.__pwned=1</script> sure, tell me more",
        "<img src=x onerror=\"window.__pwned=2\"> Here is the Folding chair in teak.",
        "Looks nice but <b>bold</b> prices scare me & my wallet.",
    ];

    /// <summary>A new store in a temp folder with a session of <paramref name="sample"/> turns of the shop corpus.</summary>
    public static OpenedAnnotationSession NewSession(int sample = 12, int seed = TurnSampler.DefaultSeed, bool actions = false, TimeProvider? time = null) =>
        AnnotationSession.Open(new AnnotationSessionOptions
        {
            Corpus = CorpusPath,
            Sample = sample,
            Seed = seed,
            Actions = actions,
            StorePath = Path.Combine(TestData.TempDir(), "labels.sqlite"),
        }, time);

    /// <summary>
    /// A generated corpus: <paramref name="perOutcome"/> conversations per outcome (not converted, converted, unknown),
    /// conversation i of an outcome with <c>1 + i % maxUserTurns</c> user turns after alternating agent turns.
    /// </summary>
    public static List<Conversation> Generated(int perOutcome, int maxUserTurns)
    {
        var list = new List<Conversation>();
        foreach (var (outcome, tag) in new (bool?, string)[] { (false, "n"), (true, "c"), (null, "u") })
            for (var i = 0; i < perOutcome; i++)
            {
                var users = 1 + i % maxUserTurns;
                var turns = new List<Turn>();
                for (var k = 0; k < users; k++)
                {
                    turns.Add(new Turn(Role.Agent, $"agent {tag}{i} turn {2 * k}"));
                    turns.Add(new Turn(Role.User, $"user {tag}{i} turn {2 * k + 1}"));
                }
                list.Add(new Conversation($"{tag}{i:D3}", [.. turns],
                    new Outcome(outcome, Verified: true, DecidedAtTurn: outcome == true ? turns.Count : null),
                    ImmutableSortedDictionary<string, JsonElement>.Empty, new CorpusSource("generated"),
                    ImmutableSortedDictionary<string, JsonElement>.Empty));
            }
        return list;
    }
}
