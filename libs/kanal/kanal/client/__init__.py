"""The Kanal client SDK: producers, consumers and the admin client, sync and asyncio.

Import them from `kanal` (`from kanal import Producer`); the modules here are private layers:
config -> connection/metadata -> accumulator/sender, fetch_buffer/fetcher -> the clients.
"""
