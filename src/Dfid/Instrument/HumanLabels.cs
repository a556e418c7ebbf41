using Dfid.Corpus;

namespace Dfid.Instrument;

/// <summary>Human stage labels of real user turns: the reference an instrument is validated against and the labelled subset
/// of prediction-powered inference.</summary>
public interface IHumanLabels
{
    /// <summary>What the labels are (e.g. the mapping file), for messages and the manifest.</summary>
    string Source { get; }

    /// <summary>The human stage of user turn <paramref name="turnIndex"/> of <paramref name="conversation"/>, or null when it has none.</summary>
    Stage? StageOf(Conversation conversation, int turnIndex);
}

/// <summary>Human labels from dialogue-act annotations of a corpus, mapped to stages by an <see cref="ActMapping"/>.</summary>
/// <param name="Mapping">The act mapping; only conversations of its dataset carrying its label set have labels.</param>
public sealed record ActMappingHumanLabels(ActMapping Mapping) : IHumanLabels
{
    /// <inheritdoc/>
    public string Source => Mapping.Source;

    /// <inheritdoc/>
    public Stage? StageOf(Conversation conversation, int turnIndex)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return string.Equals(conversation.Source.Dataset, Mapping.Dataset, StringComparison.OrdinalIgnoreCase)
            && conversation.Turns[turnIndex].Annotations?.ContainsKey(Mapping.StageLabelSet) == true
                ? Mapping.StageOfTurn(conversation, turnIndex)
                : null;
    }

    /// <summary>The built-in labels of a run's conversations: PersuasionForGood's acts when the run has conversations of that
    /// dataset, else none.</summary>
    public static IHumanLabels? For(IEnumerable<Conversation> conversations)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        return conversations.Any(c => string.Equals(c.Source.Dataset, ActMapping.PersuasionForGood.Dataset, StringComparison.OrdinalIgnoreCase))
            ? new ActMappingHumanLabels(ActMapping.PersuasionForGood)
            : null;
    }
}
