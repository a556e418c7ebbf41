using Dfid.Instrument;

namespace Dfid.Annotation;

/// <summary>One choice an annotator can make, with its keyboard shortcut.</summary>
/// <param name="Key">The key that chooses it (<c>1</c>–<c>5</c> for stages, <c>q</c>–<c>y</c> for actions).</param>
/// <param name="Name">Wire name, e.g. <c>considering</c> or <c>push-close</c>.</param>
/// <param name="Definition">The definition with the domain's words filled in.</param>
/// <param name="Examples">Short examples with the domain's words filled in.</param>
internal sealed record GuideEntry(string Key, string Name, string Definition, IReadOnlyList<string> Examples);

/// <summary>
/// What the labelling page shows beside every turn: the taxonomy's stage definitions and examples and, with the
/// action task, the agent actions, all in the domain's words (the same definitions the LLM judge is given).
/// </summary>
/// <param name="Stages">The five stages in order, keys 1–5.</param>
/// <param name="Actions">The six agent actions, keys q w e r t y; empty without the action task.</param>
/// <param name="Words">The domain's words (also used to name the two sides).</param>
internal sealed record AnnotationGuide(IReadOnlyList<GuideEntry> Stages, IReadOnlyList<GuideEntry> Actions, Domain Words)
{
    /// <summary>The action keys, in <see cref="AgentAction"/> order.</summary>
    public static IReadOnlyList<string> ActionKeys { get; } = ["q", "w", "e", "r", "t", "y"];

    /// <summary>Builds the guide.</summary>
    /// <param name="taxonomy">The taxonomy whose stage definitions are shown.</param>
    /// <param name="words">The domain's words.</param>
    /// <param name="actions">Whether the action task is on.</param>
    public static AnnotationGuide Create(StageTaxonomy taxonomy, Domain words, bool actions)
    {
        ArgumentNullException.ThrowIfNull(taxonomy);
        ArgumentNullException.ThrowIfNull(words);
        var stages = taxonomy.Stages
            .Select((s, i) => new GuideEntry((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), s.Name,
                words.Apply(s.Definition), [.. s.Examples.Select(words.Apply)]))
            .ToArray();
        var acts = actions
            ? LlmActionLabeller.Actions.Select((a, i) => new GuideEntry(ActionKeys[i], a.Name, words.Apply(a.Definition), [.. a.Examples.Select(words.Apply)])).ToArray()
            : [];
        return new AnnotationGuide(stages, acts, words);
    }
}
