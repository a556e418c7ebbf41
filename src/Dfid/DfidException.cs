namespace Dfid;

/// <summary>An error whose message is written for the user: it names the file, line, conversation or key, and the fix.</summary>
/// <remarks>The CLI prints the message without a stack trace and exits with <see cref="ExitCode"/>.</remarks>
public class DfidException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What went wrong, where, and how to fix it.</param>
    /// <param name="exitCode">1 for failures and findings, 2 for usage errors.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public DfidException(string message, int exitCode = 1, Exception? inner = null) : base(message, inner) => ExitCode = exitCode;

    /// <summary>Process exit code the CLI returns.</summary>
    public int ExitCode { get; }
}
