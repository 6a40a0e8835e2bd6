"""网创助手: the aiogram bot that runs the paperwork of online-entrepreneurship training."""
