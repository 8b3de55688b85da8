from bot.channels.web.server import main

if __name__ == "__main__":
    raise SystemExit(main())
