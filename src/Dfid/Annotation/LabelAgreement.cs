using Dfid.Analysis;
using Dfid.Instrument;

namespace Dfid.Annotation;

/// <summary>Agreement of two annotators on the turns both labelled.</summary>
/// <param name="First">One annotator (the ordinally smaller name).</param>
/// <param name="Second">The other.</param>
/// <param name="N">Turns both labelled.</param>
/// <param name="Accuracy">Share of those turns with the same stage.</param>
/// <param name="KappaQuadratic">Quadratic-weighted Cohen's κ of the stages (ordinal 0..4); NaN when undefined.</param>
/// <param name="AlphaOrdinal">Krippendorff's α with the ordinal metric; NaN when undefined.</param>
/// <param name="ActionN">Turns where both also labelled the agent action.</param>
/// <param name="ActionAgreement">Share of those with the same action; NaN when <paramref name="ActionN"/> is 0.</param>
public sealed record AnnotatorPairAgreement(string First, string Second, int N, double Accuracy, double KappaQuadratic, double AlphaOrdinal,
    int ActionN, double ActionAgreement);

/// <summary>Agreement between annotators of a labels file, pair by pair, through <see cref="Agreement"/>.</summary>
/// <remarks>Pure functions. Stages are the ordinal categories of <see cref="Stage"/> (resisting 0 … deciding 4).</remarks>
public static class LabelAgreement
{
    /// <summary>Every pair of annotators with at least one turn in common, ordered by their names.</summary>
    /// <exception cref="ArgumentException">An annotator labels the same turn twice (a labels file forbids it).</exception>
    public static IReadOnlyList<AnnotatorPairAgreement> Pairwise(IEnumerable<HumanLabel> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var byAnnotator = new SortedDictionary<string, Dictionary<(string, int), HumanLabel>>(StringComparer.Ordinal);
        foreach (var l in labels)
        {
            if (!byAnnotator.TryGetValue(l.Annotator, out var turns)) byAnnotator[l.Annotator] = turns = [];
            if (!turns.TryAdd(l.Turn, l))
                throw new ArgumentException($"annotator '{l.Annotator}' labels conversation '{l.ConversationId}' turn {l.TurnIndex} twice.", nameof(labels));
        }
        var names = byAnnotator.Keys.ToArray();
        var result = new List<AnnotatorPairAgreement>();
        for (var i = 0; i < names.Length; i++)
            for (var j = i + 1; j < names.Length; j++)
            {
                var a = byAnnotator[names[i]];
                var b = byAnnotator[names[j]];
                var shared = a.Keys.Where(b.ContainsKey).OrderBy(k => k.Item1, StringComparer.Ordinal).ThenBy(k => k.Item2).ToArray();
                if (shared.Length == 0) continue;
                var ra = shared.Select(k => (int)a[k].Stage).ToArray();
                var rb = shared.Select(k => (int)b[k].Stage).ToArray();
                var categories = Enum.GetValues<Stage>().Length;
                var actions = shared.Where(k => a[k].Action is not null && b[k].Action is not null).ToArray();
                var sameAction = actions.Count(k => a[k].Action == b[k].Action);
                result.Add(new AnnotatorPairAgreement(names[i], names[j], shared.Length,
                    Agreement.Accuracy(ra, rb),
                    Agreement.CohensKappaQuadratic(ra, rb, categories),
                    Agreement.KrippendorffAlphaOrdinal(ra, rb, categories),
                    actions.Length, actions.Length == 0 ? double.NaN : (double)sameAction / actions.Length));
            }
        return result;
    }
}
