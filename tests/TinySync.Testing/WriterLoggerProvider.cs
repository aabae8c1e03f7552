using Microsoft.Extensions.Logging;

namespace TinySync.Testing;

/// <summary>Captures every log line (message and exception) so tests can search the logs for secrets.</summary>
public sealed class WriterLoggerProvider(TextWriter writer) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(writer, categoryName);

    public void Dispose() { }

    sealed class Logger(TextWriter writer, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (writer) writer.WriteLine($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
