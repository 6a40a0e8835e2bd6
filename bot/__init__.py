"""网创助手: the aiogram bot that runs the paperwork of the online-entrepreneurship training programme."""
