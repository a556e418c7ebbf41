using System.Collections.Immutable;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Models;

namespace Dfid.Tests.Running;

/// <summary>Small hand-written conversations and fakes for the run tests.</summary>
internal static class RunFixtures
{
    /// <summary>A conversation: agent opens, then alternating; <paramref name="userTurns"/> user turns.</summary>
    public static Conversation Conversation(string id, int userTurns, bool? converted = false, int? decidedAtTurn = null, string? topic = null)
    {
        var turns = ImmutableArray.CreateBuilder<Turn>();
        for (var i = 0; i < userTurns; i++)
        {
            turns.Add(new Turn(Role.Agent, $"{id} agent line {i} {topic}".Trim()));
            turns.Add(new Turn(Role.User, $"{id} user line {i} {topic}".Trim()));
        }
        return new Conversation(id, turns.ToImmutable(), new Outcome(converted, Verified: true, DecidedAtTurn: decidedAtTurn),
            ImmutableSortedDictionary<string, JsonElement>.Empty.Add("age", JsonSerializer.SerializeToElement(41)).Add("sex", JsonSerializer.SerializeToElement("Female")),
            new CorpusSource("fixture"), ImmutableSortedDictionary<string, JsonElement>.Empty);
    }

    private static readonly (string Act, string Text)[] UserActs =
    [
        ("disagree-donation", "no, I would rather not give anything today"),
        ("ask-org-info", "what does the charity actually do with the money"),
        ("positive-reaction-to-donation", "that sounds like a really good cause"),
        ("ask-donation-procedure", "how would the donation be taken from my payment"),
        ("agree-donation", "ok, I will donate some of my payment"),
    ];

    private static readonly (string Act, string Text)[] AgentActs =
    [
        ("greeting", "hello, how are you doing today"),
        ("proposition-of-donation", "would you like to donate part of your payment to Save the Children"),
        ("logical-appeal", "every dollar buys food and medicine for children in need"),
        ("emotion-appeal", "imagine a child going to bed hungry tonight"),
        ("credibility-appeal", "the charity is rated highly by independent reviewers"),
        ("ask-donation-amount", "how much would you like to give"),
    ];

    /// <summary>
    /// A PersuasionForGood-shaped corpus written for these tests: each conversation has an agent greeting, then
    /// alternating turns; user turns carry <c>ee_act</c> and agent turns <c>er_act</c> annotations, so the learned
    /// instrument can be trained on it in a second.
    /// </summary>
    public static IReadOnlyList<Conversation> AnnotatedCorpus(int conversations = 12, int userTurns = 6)
    {
        var list = new List<Conversation>();
        for (var c = 0; c < conversations; c++)
        {
            var id = $"p{c:D2}";
            var turns = ImmutableArray.CreateBuilder<Turn>();
            for (var u = 0; u < userTurns; u++)
            {
                var a = AgentActs[(c + u) % AgentActs.Length];
                var ua = u == 0 ? ("greeting", "hi there") : UserActs[(c * 2 + u) % UserActs.Length];
                turns.Add(new Turn(Role.Agent, $"{a.Text} ({id}, turn {2 * u})", Annotations: ImmutableSortedDictionary<string, string>.Empty.Add("er_act", a.Act)));
                turns.Add(new Turn(Role.User, $"{ua.Item2} ({id}, turn {2 * u + 1})", Annotations: ImmutableSortedDictionary<string, string>.Empty.Add("ee_act", ua.Item1)));
            }
            var profile = ImmutableSortedDictionary<string, JsonElement>.Empty
                .Add("age", JsonSerializer.SerializeToElement(30 + c))
                .Add("sex", JsonSerializer.SerializeToElement(c % 2 == 0 ? "Female" : "Male"))
                .Add("ideology", JsonSerializer.SerializeToElement(c % 3 == 0 ? "Liberal" : "Conservative"))
                .Add("extrovert", JsonSerializer.SerializeToElement(2.5 + c % 4 * 0.5));
            var meta = ImmutableSortedDictionary<string, JsonElement>.Empty.Add("annotated", JsonSerializer.SerializeToElement(true));
            list.Add(new Conversation(id, turns.ToImmutable(), new Outcome(c % 2 == 0, c % 2 == 0 ? 0.5 : 0, Verified: true), profile,
                new CorpusSource("persuasionforgood", "Apache-2.0"), meta));
        }
        return list;
    }

    /// <summary>Conversations with explicit turn texts (agent first, alternating).</summary>
    public static Conversation FromTexts(string id, bool converted, params string[] texts)
    {
        var turns = texts.Select((t, i) => new Turn(i % 2 == 0 ? Role.Agent : Role.User, t)).ToImmutableArray();
        return new Conversation(id, turns, new Outcome(converted, Verified: true),
            ImmutableSortedDictionary<string, JsonElement>.Empty, new CorpusSource("fixture"), ImmutableSortedDictionary<string, JsonElement>.Empty);
    }
}

/// <summary>A deterministic instrument whose stage depends only on the labelled text (so the same text gives the same label).</summary>
internal sealed class TextHashInstrument(string name = "fake") : IInstrument
{
    private int _calls;

    public string Name { get; } = name;

    public int Calls => Volatile.Read(ref _calls);

    public Func<LabelRequest, Task>? BeforeLabel { get; set; }

    public async Task<Answer<DecisionState>> LabelAsync(LabelRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        if (BeforeLabel is not null) await BeforeLabel(request);
        cancellationToken.ThrowIfCancellationRequested();
        var h = 0;
        foreach (var ch in request.LabelledText) h = (h * 31 + ch) & 0x7fffffff;
        return Answer<DecisionState>.Ok(new DecisionState((Stage)(h % 5)), new ModelCall("fake", 10, 2, 1, false, 1));
    }
}
