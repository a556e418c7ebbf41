using System.Text.Json;
using Dfid.Analysis;
using Dfid.Instrument;
using Dfid.Reporting;

namespace Dfid.Tests.Reporting;

/// <summary>
/// A synthetic run for report tests: probe rows with a known shape (simulated non-converters pushed deeper),
/// hostile corpus texts, a hostile condition name and a manifest with a hostile prompt; analysed by the real analysis.
/// </summary>
internal static class ReportFixture
{
    /// <summary>Texts that would do something if they reached a page or a Markdown renderer as markup.</summary>
    public static readonly string[] Hostile =
    [
        "<script>document.title='pwned';window.__pwned=1</script>",
        "<img src=x onerror=\"document.title='pwned-img';window.__pwned=2\">",
        "</table></td></tr><h1 id=\"injected\">injected heading</h1>",
        "[x](javascript:alert(1))",
        "| pipes | in | text |",
        "# heading",
        "`backticks` and ```fence```",
        "<svg onload=\"window.__pwned=3\"><circle r=\"5\"/></svg>",
        "![tracker](https://evil.example/pixel.png) <a href=\"https://evil.example/\">link</a>",
        "&lt;already escaped&gt; &amp; *stars* _under_ ~~strike~~ $math$",
        "line one\nline two\r\n- not a list",
    ];

    public const string HostileCondition = "hostile </table><b>name</b>";

    public static readonly string[] Conditions = ["persona (model A)", "instructed (model A)", HostileCondition];

    public static IReadOnlyList<ProbeRow> Rows(int conversations = 60, int seed = 7)
    {
        var rng = new Random(seed);
        var rows = new List<ProbeRow>();
        var actions = Enum.GetValues<AgentAction>();
        for (var k = 0; k < Conditions.Length; k++)
        {
            var shift = k == 1 ? 0.15 : 0.6; // the instructed condition narrows the gap
            for (var c = 0; c < conversations; c++)
            {
                var converted = c % 2 == 0;
                var id = c == 1 ? "conv <img src=x onerror=alert(1)>" : $"c{c:D4}";
                foreach (var (turn, pos) in new[] { (3, 0.3), (5, 0.6), (7, 0.9) })
                {
                    var real = (Stage)rng.Next(0, converted ? 5 : 4);
                    var push = !converted && rng.NextDouble() < shift ? 1 + rng.Next(0, 2) : 0;
                    var sim = (Stage)Math.Min(4, (int)real + push + (rng.NextDouble() < 0.15 ? 1 : 0));
                    var status = rng.NextDouble() switch { < 0.03 => ProbeStatus.SimulationFailed, < 0.05 => ProbeStatus.SimLabelFailed, _ => ProbeStatus.Ok };
                    var texts = new ProbeTexts(
                        "Agent: " + Hostile[(c + turn) % Hostile.Length],
                        "Real: " + Hostile[(c + turn + 3) % Hostile.Length],
                        status == ProbeStatus.SimulationFailed ? null : Hostile[(c + turn + 5) % Hostile.Length]);
                    rows.Add(new ProbeRow(Conditions[k], id, converted, turn, pos,
                        new DecisionState(real, KeySignal: Hostile[c % Hostile.Length]),
                        status == ProbeStatus.SimulationFailed || status == ProbeStatus.SimLabelFailed ? null : new DecisionState(sim),
                        actions[rng.Next(actions.Length)], status,
                        RealFullContext: new DecisionState((Stage)Math.Clamp((int)real + (rng.NextDouble() < 0.1 ? 1 : 0), 0, 4)),
                        HumanStage: c % 3 == 0 ? real : null,
                        Texts: texts));
                }
            }
        }
        return rows;
    }

    public const string RolloutCondition = "persona rollout <b>retrieval</b>";

    /// <summary>Exit probes of the persona condition: the simulator leaves at about a third of the real exit points and
    /// at a few ordinary probes.</summary>
    public static IReadOnlyList<ExitProbeRow> ExitRows(int conversations = 60, int seed = 8)
    {
        var rng = new Random(seed);
        var rows = new List<ExitProbeRow>();
        for (var c = 0; c < conversations; c++)
        {
            var converted = c % 2 == 0;
            var id = c == 1 ? "conv <img src=x onerror=alert(1)>" : $"c{c:D4}";
            foreach (var (turn, pos) in new[] { (3, 0.3), (5, 0.6), (7, 0.9) })
                rows.Add(new ExitProbeRow(Conditions[0], id, converted, turn, pos, false, rng.NextDouble() < 0.06, ProbeStatus.Ok));
            if (!converted && rng.NextDouble() < 0.7)
            {
                var failed = rng.NextDouble() < 0.05;
                rows.Add(new ExitProbeRow(Conditions[0], id, false, 9, 1, true, failed ? null : rng.NextDouble() < 0.35,
                    failed ? ProbeStatus.SimulationFailed : ProbeStatus.Ok));
            }
        }
        return rows;
    }

    /// <summary>Rollouts (K = 2, cap 6) on the same conversations, with hostile texts in the rollout turns and the real continuations.</summary>
    public static (IReadOnlyList<RolloutRow> Rows, IReadOnlyList<RolloutTurn> Turns, IReadOnlyList<RealContinuation> Real) Rollouts(int conversations = 60, int seed = 9)
    {
        const int cap = 6;
        var rng = new Random(seed);
        var rows = new List<RolloutRow>();
        var turns = new List<RolloutTurn>();
        var real = new List<RealContinuation>();
        for (var c = 0; c < conversations; c++)
        {
            var converted = c % 2 == 0;
            var id = c == 1 ? "conv <img src=x onerror=alert(1)>" : $"c{c:D4}";
            var realTurns = 1 + rng.Next(0, 9);
            var realExit = !converted && rng.NextDouble() < 0.7;
            var realStages = Enumerable.Range(0, Math.Min(realTurns, cap)).Select(_ => (Stage?)(Stage)rng.Next(0, converted ? 5 : 3)).ToList();
            var continuation = new List<ContinuationTurn>();
            for (var u = 0; u < realTurns; u++)
            {
                continuation.Add(new ContinuationTurn("user", "Real: " + Hostile[(c + u) % Hostile.Length], u < realStages.Count ? realStages[u] : null));
                if (u < realTurns - 1 || realExit) continuation.Add(new ContinuationTurn("agent", "Agent: " + Hostile[(c + u + 2) % Hostile.Length]));
            }
            real.Add(new RealContinuation(id, 4, "Context: " + Hostile[c % Hostile.Length], continuation));
            for (var sample = 0; sample < 2; sample++)
            {
                var stages = new List<Stage?>();
                var end = RolloutEnd.Cap;
                var step = 0;
                for (var slot = 0; slot < cap; slot++)
                {
                    if (rng.NextDouble() < (converted ? 0.02 : 0.06))
                    {
                        end = RolloutEnd.Exit;
                        turns.Add(new RolloutTurn(RolloutCondition, id, sample, step, "user", null, null, "exit"));
                        break;
                    }
                    var stage = (Stage)rng.Next(1, 5);
                    stages.Add(stage);
                    turns.Add(new RolloutTurn(RolloutCondition, id, sample, step++, "user", Hostile[(c + slot + sample) % Hostile.Length], stage, "ok"));
                    if (stage == Stage.Deciding && rng.NextDouble() < 0.5)
                    {
                        end = RolloutEnd.Decision;
                        break;
                    }
                    turns.Add(new RolloutTurn(RolloutCondition, id, sample, step++, "agent", "Sim agent: " + Hostile[(c + slot + 4) % Hostile.Length], null, "ok"));
                }
                rows.Add(new RolloutRow(RolloutCondition, id, converted, sample, 4, cap, stages.Count, end, stages, realTurns, realExit, realStages));
            }
        }
        return (rows, turns, real);
    }

    private static readonly Lazy<AnalysisResults> Cached = new(Analyse);

    private static AnalysisResults Analyse()
    {
        var options = new AnalysisOptions
        {
            Permutations = 2000,
            BootstrapResamples = 400,
            Seed = 11,
            ExampleCount = 4,
            RolloutExampleCount = 2,
            Conditions = [new ConditionDescriptor(RolloutCondition, null, null, Agent: "retrieval <agent>", Mode: ConditionModes.Rollout)],
            TeacherForcedTwins = new Dictionary<string, string> { [RolloutCondition] = Conditions[0] },
        };
        var (rollouts, turns, real) = Rollouts();
        var input = new AnalysisInput(Rows())
        {
            ExitRows = ExitRows(),
            RolloutRows = rollouts,
            RolloutTurns = turns,
            RealContinuations = real,
            Dataset = "persuasionforgood",
        };
        // The validation section shows a fixed agreement table the report tests assert on.
        return DecisionFidelityAnalysis.Analyze(input, options) with { Manifest = Manifest(), InstrumentValidation = Validation() };
    }

    /// <summary>The analysed fixture (with manifest), computed once per test run.</summary>
    public static AnalysisResults Results => Cached.Value;

    public static JsonElement Manifest() => JsonDocument.Parse(JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["tool"] = "dfid 0.1.0",
        ["corpus_sha256"] = "9f2c0d1e",
        ["components"] = new object[]
        {
            new Dictionary<string, object?>
            {
                ["role"] = "simulator", ["name"] = "persona", ["kind"] = "llm", ["model"] = "model-a <script>x</script>",
                ["prompts"] = new Dictionary<string, string> { ["system"] = "You ARE the user.\n```\n<script>window.__pwned=9</script>\n````\n| a | b |" },
                ["prompt_sha256"] = new Dictionary<string, string> { ["system"] = "ab12cd34" },
            },
        },
        ["usage"] = new Dictionary<string, long> { ["model_calls"] = 1234, ["prompt_tokens"] = 456789, ["completion_tokens"] = 12345 },
        ["cost_usd"] = 1.2345,
        ["notes"] = Hostile, // every hostile text reaches the page at least here, whatever the examples pick
        ["duration_seconds"] = 321.5,
    })).RootElement.Clone();

    public static IReadOnlyList<InstrumentAgreement> Validation() =>
    [
        new("real", 120, new Estimate(0.812, 0.74, 0.87), new Estimate(0.805, 0.73, 0.86), ["resisting", "exploring", "engaging", "considering", "deciding"],
            [[20, 3, 1, 0, 0], [2, 18, 4, 1, 0], [0, 3, 25, 4, 0], [0, 1, 3, 22, 2], [0, 0, 0, 2, 9]],
            [new OutcomeSignal(0.6, new(40, 30, 0.35, 0.2, 0.15, 0.1234, 1.9, 2.3, 0.61), new(40, 30, 0.3, 0.2, 0.1, 0.3456, 2.0, 2.2, 0.57), 0.1 / 0.15)],
            new RefusalCheck(24, 1, 1 / 24.0)),
    ];

    public static ReportInputs Inputs() => new()
    {
        Title = "Fixture report <script>window.__pwned=5</script>",
        Subtitle = "synthetic run | with `hostile` text",
        ToolVersion = "0.1.0-test",
    };
}
