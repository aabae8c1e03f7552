global using TinySync.EndToEnd.Tests.Support;
