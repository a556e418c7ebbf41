namespace Dfid.Core;

/// <summary>What the agent did in the turn right before a probe.</summary>
public enum AgentAction
{
    /// <summary>Small talk, relationship building.</summary>
    Rapport,
    /// <summary>A neutral question about the user.</summary>
    Probe,
    /// <summary>Presenting the offer, its benefits or the cause.</summary>
    Pitch,
    /// <summary>Answering a doubt or objection.</summary>
    HandleObjection,
    /// <summary>Asking for the purchase, donation or signature.</summary>
    PushClose,
    /// <summary>Reassuring, lowering perceived risk.</summary>
    Reassure,
}
